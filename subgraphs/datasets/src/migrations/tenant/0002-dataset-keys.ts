import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each dataset's own data key, stored wrapped by the tenant's data key: the dataset's objects are
 * encrypted under it, so deleting the dataset (its row, and by the foreign key this one) leaves
 * its objects, and every copy of them, unreadable.
 */
export class DatasetKeys1765000000002 implements MigrationInterface {
  name = 'DatasetKeys1765000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dataset_keys (
        dataset_id CHAR(36) NOT NULL PRIMARY KEY,
        wrapped_key VARCHAR(512) NOT NULL,
        tenant_key_version INT NOT NULL,
        created_at DATETIME(3) NOT NULL,
        INDEX idx_dataset_keys_tenant_key_version (tenant_key_version),
        CONSTRAINT fk_dataset_keys_dataset FOREIGN KEY (dataset_id) REFERENCES datasets(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE dataset_keys');
  }
}
