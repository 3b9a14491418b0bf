import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each model's own data key, stored wrapped by the tenant's data key: the model's version files
 * are encrypted under it, so deleting the model (its row, and by the foreign key this one) leaves
 * them, and every copy of them, unreadable.
 */
export class ModelKeys1765000000002 implements MigrationInterface {
  name = 'ModelKeys1765000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE model_keys (
        model_id CHAR(36) NOT NULL PRIMARY KEY,
        wrapped_key VARCHAR(512) NOT NULL,
        tenant_key_version INT NOT NULL,
        created_at DATETIME(3) NOT NULL,
        INDEX idx_model_keys_tenant_key_version (tenant_key_version),
        CONSTRAINT fk_model_keys_model FOREIGN KEY (model_id) REFERENCES models(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE model_keys');
  }
}
