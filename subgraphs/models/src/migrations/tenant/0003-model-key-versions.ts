import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A model's key gets versions: a rotation adds one, the model's versions are re-encrypted under
 * it, and the older ones are deleted. Existing keys become version 1 (their wraps and the headers
 * of their objects stay as they are).
 */
export class ModelKeyVersions1765100000003 implements MigrationInterface {
  name = 'ModelKeyVersions1765100000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE model_keys ADD COLUMN version INT NOT NULL DEFAULT 1 AFTER model_id, DROP PRIMARY KEY, ADD PRIMARY KEY (model_id, version)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DELETE FROM model_keys WHERE version <> 1');
    await q.query('ALTER TABLE model_keys DROP PRIMARY KEY, ADD PRIMARY KEY (model_id), DROP COLUMN version');
  }
}
