import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Control plane, owned by the tenants service: erasure requests. No foreign key to `tenants`: the
 * request outlives the tenant it erased. Once erased, `tenant_id` is cleared and only the
 * id hash, the pseudonym (set by the erasure, keyed with a platform secret) and the signed receipt
 * remain.
 */
export class TenantErasures1765000000005 implements MigrationInterface {
  name = 'TenantErasures1765000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenant_erasures (
        id CHAR(36) NOT NULL PRIMARY KEY,
        tenant_id VARCHAR(32) NULL,
        tenant_pseudonym CHAR(64) NULL,
        tenant_id_hash CHAR(64) NOT NULL,
        status VARCHAR(16) NOT NULL,
        requested_by VARCHAR(255) NOT NULL,
        requested_at DATETIME(3) NOT NULL,
        scheduled_for DATETIME(3) NOT NULL,
        cancelled_at DATETIME(3) NULL,
        erased_at DATETIME(3) NULL,
        progress JSON NULL,
        receipt TEXT NULL,
        updated_at DATETIME(3) NOT NULL,
        KEY idx_tenant_erasures_due (status, scheduled_for),
        KEY idx_tenant_erasures_tenant (tenant_id, status)
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE tenant_erasures');
  }
}
