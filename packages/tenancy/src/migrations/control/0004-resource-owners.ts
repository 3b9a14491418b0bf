import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Control plane: which tenant owns each id (datasets, models, versions, jobs). Tenant data stays in
 * tenant schemas; this index only lets a NOT_FOUND tell "never existed" from "another tenant's",
 * so a cross-tenant attempt can be recorded (issue #6). It holds ids and types, nothing else.
 */
export class ResourceOwners1764000000004 implements MigrationInterface {
  name = 'ResourceOwners1764000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE resource_owners (
        resource_id VARCHAR(64) NOT NULL,
        target_type VARCHAR(64) NOT NULL,
        tenant_id VARCHAR(32) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        PRIMARY KEY (resource_id, target_type),
        KEY ix_resource_owners_tenant (tenant_id),
        CONSTRAINT fk_resource_owners_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE resource_owners');
  }
}
