import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version's column profile (`dataset_versions.columns_json`: names, types, null counts) and an
 * upload's profile (`dataset_uploads.profile_json`) are sealed with the tenant's data key. Each gets
 * a key-version column (NULL: no value; indexed, so the re-encryption and the retirement check
 * count by version). Rows from before are marked 0, "clear, to be sealed": the migrator holds no
 * key, so the datasets service seals them after it starts (its sealed-column backfill).
 */
export class SealedDatasetProfiles1766300000004 implements MigrationInterface {
  name = 'SealedDatasetProfiles1766300000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dataset_versions ADD COLUMN columns_key_version INT NULL AFTER columns_json, ADD INDEX ix_dataset_versions_columns_key_version (columns_key_version)');
    await q.query('UPDATE dataset_versions SET columns_key_version = 0');
    await q.query('ALTER TABLE dataset_uploads ADD COLUMN profile_key_version INT NULL AFTER profile_json, ADD INDEX ix_dataset_uploads_profile_key_version (profile_key_version)');
    await q.query('UPDATE dataset_uploads SET profile_key_version = 0 WHERE profile_json IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE dataset_uploads DROP INDEX ix_dataset_uploads_profile_key_version, DROP COLUMN profile_key_version');
    await q.query('ALTER TABLE dataset_versions DROP INDEX ix_dataset_versions_columns_key_version, DROP COLUMN columns_key_version');
  }
}
