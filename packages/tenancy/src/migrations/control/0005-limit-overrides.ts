import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Control plane: a tenant's limits become overrides over the platform defaults (one JSON object,
 * validated by tenantLimitsSchema when read), so a new limit needs no column and a changed default
 * reaches every tenant without one. The old per-limit columns are carried over as explicit
 * overrides (rate limits now count cost units: a request costs at least one, so the old
 * requests-per-minute value becomes the tenant's cost per minute) and dropped.
 */
export class LimitOverrides1764000000005 implements MigrationInterface {
  name = 'LimitOverrides1764000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE tenants ADD COLUMN limit_overrides JSON NULL');
    await q.query(`
      UPDATE tenants SET limit_overrides = JSON_OBJECT(
        'maxUploadBytes', max_upload_bytes, 'maxStorageBytes', max_storage_bytes, 'costPerMinute', requests_per_minute,
        'maxConcurrentJobs', max_concurrent_jobs, 'maxQueuedJobs', max_queued_jobs)`);
    await q.query(`
      ALTER TABLE tenants
        DROP COLUMN max_upload_bytes, DROP COLUMN max_storage_bytes, DROP COLUMN requests_per_minute,
        DROP COLUMN max_concurrent_jobs, DROP COLUMN max_queued_jobs`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tenants
        ADD COLUMN max_upload_bytes BIGINT NOT NULL DEFAULT 104857600,
        ADD COLUMN max_storage_bytes BIGINT NOT NULL DEFAULT 10737418240,
        ADD COLUMN requests_per_minute INT NOT NULL DEFAULT 6000,
        ADD COLUMN max_concurrent_jobs INT NOT NULL DEFAULT 4,
        ADD COLUMN max_queued_jobs INT NOT NULL DEFAULT 1000`);
    await q.query('ALTER TABLE tenants DROP COLUMN limit_overrides');
  }
}
