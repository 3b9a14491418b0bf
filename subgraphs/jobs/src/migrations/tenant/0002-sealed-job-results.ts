import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Job results are sealed with the tenant's data key (a training run's weights, a profile's top
 * values, min and max are the tenant's data). `result_key_version` says which key version sealed a
 * row's result (NULL: no result), indexed so the re-encryption and the retirement check count by
 * version. Rows from before are marked 0, "clear, to be sealed": the migrator holds no key, so the
 * jobs service seals them after it starts (its sealed-column backfill).
 */
export class SealedJobResults1766300000002 implements MigrationInterface {
  name = 'SealedJobResults1766300000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE jobs ADD COLUMN result_key_version INT NULL AFTER result_json, ADD INDEX ix_jobs_result_key_version (result_key_version)');
    await q.query('UPDATE jobs SET result_key_version = 0 WHERE result_json IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE jobs DROP INDEX ix_jobs_result_key_version, DROP COLUMN result_key_version');
  }
}
