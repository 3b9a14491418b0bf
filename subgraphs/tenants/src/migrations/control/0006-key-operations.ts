import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tenant's re-encryption runs: every object of the tenant moved to its current data key by the
 * objects' owners (datasets, models) in batches; this row keeps the target and the progress, so a
 * restarted tenants service goes on from where it stopped.
 */
export class KeyOperations1765000000006 implements MigrationInterface {
  name = 'KeyOperations1765000000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE key_operations (
        id CHAR(36) NOT NULL PRIMARY KEY,
        tenant_id VARCHAR(32) NOT NULL,
        kind VARCHAR(32) NOT NULL,
        target_version INT NOT NULL,
        status VARCHAR(16) NOT NULL,
        reencrypted INT NOT NULL DEFAULT 0,
        remaining INT NULL,
        last_error VARCHAR(512) NULL,
        requested_by VARCHAR(255) NOT NULL,
        started_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        finished_at DATETIME(3) NULL,
        INDEX idx_key_operations_status (status),
        INDEX idx_key_operations_tenant (tenant_id),
        CONSTRAINT fk_key_operations_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE key_operations');
  }
}
