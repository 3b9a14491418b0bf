import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A dataset's key gets versions: a rotation adds one, the dataset's objects are re-encrypted under
 * it, and the older ones are deleted. Existing keys become version 1 (their wraps and the headers
 * of their objects stay as they are).
 */
export class DatasetKeyVersions1765100000003 implements MigrationInterface {
  name = 'DatasetKeyVersions1765100000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dataset_keys ADD COLUMN version INT NOT NULL DEFAULT 1 AFTER dataset_id, DROP PRIMARY KEY, ADD PRIMARY KEY (dataset_id, version)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DELETE FROM dataset_keys WHERE version <> 1');
    await q.query('ALTER TABLE dataset_keys DROP PRIMARY KEY, ADD PRIMARY KEY (dataset_id), DROP COLUMN version');
  }
}
