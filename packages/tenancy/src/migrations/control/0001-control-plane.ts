import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ControlPlane1764000000001 implements MigrationInterface {
  name = 'ControlPlane1764000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id VARCHAR(32) NOT NULL PRIMARY KEY,
        display_name VARCHAR(128) NOT NULL,
        region VARCHAR(32) NOT NULL,
        tier VARCHAR(16) NOT NULL,
        status VARCHAR(16) NOT NULL,
        max_upload_bytes BIGINT NOT NULL,
        max_storage_bytes BIGINT NOT NULL,
        requests_per_minute INT NOT NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB`);
    // Data keys exist only wrapped by the master key; the wrap is bound to (tenant, version).
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
