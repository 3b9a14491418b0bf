import type { QueryRunner } from 'typeorm';
import { SingleSequenceBaseline } from '@tessera/tenancy';

/**
 * Control plane: the tenants and their wrapped data keys.
 *
 * A tenant's limits are overrides over the platform defaults (one JSON object, validated by
 * tenantLimitsSchema when read), so a new limit needs no column and a changed default reaches
 * every tenant without one. Data keys exist only wrapped (today by the key provider: see 0002); the
 * wrap is bound to (tenant, version).
 */
export class TenantsTables1765000000001 extends SingleSequenceBaseline {
  name = 'TenantsTables1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id VARCHAR(32) NOT NULL PRIMARY KEY,
        display_name VARCHAR(128) NOT NULL,
        region VARCHAR(32) NOT NULL,
        tier VARCHAR(16) NOT NULL,
        status VARCHAR(16) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        limit_overrides JSON NULL
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE tenant_keys (
        tenant_id VARCHAR(32) NOT NULL,
        version INT NOT NULL,
        wrapped_key VARCHAR(255) NOT NULL,
        status VARCHAR(16) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        PRIMARY KEY (tenant_id, version),
        CONSTRAINT fk_tenant_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE tenant_keys');
    await q.query('DROP TABLE tenants');
  }
}
