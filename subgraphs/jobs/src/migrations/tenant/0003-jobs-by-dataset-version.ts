import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `jobs(filter: { datasetVersionId })` read every job of the tenant: the version is inside
 * `input_json`, and jobs are history (never purged), so the filter's cost grew with all the jobs a
 * tenant ever submitted, and parallel filtered lists could hold the jobs service's connections for
 * seconds each. The version, as a virtual column computed from the input (so it cannot disagree
 * with it, and no writer has to set it), indexed in the lists' page order: a filtered page is one
 * index range, however many jobs the tenant has. Every job input names a dataset version (a UUID);
 * 64 characters leave room without a truncation.
 */
export class JobsByDatasetVersion1767000000003 implements MigrationInterface {
  name = 'JobsByDatasetVersion1767000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE jobs
         ADD COLUMN dataset_version_id VARCHAR(64) AS (JSON_VALUE(input_json, '$.datasetVersionId')) VIRTUAL,
         ADD INDEX ix_jobs_dataset_version (dataset_version_id, created_at, id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE jobs DROP INDEX ix_jobs_dataset_version, DROP COLUMN dataset_version_id');
  }
}
