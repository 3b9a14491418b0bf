import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Control plane: per-tenant job limits (issue #5). `max_concurrent_jobs` caps how many of the
 * tenant's jobs run at once across all workers (the scheduler holds leases); `max_queued_jobs`
 * caps unfinished (queued + running) jobs: one more submit is QUOTA_EXCEEDED.
 */
export class JobLimits1764000000002 implements MigrationInterface {
  name = 'JobLimits1764000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tenants
        ADD COLUMN max_concurrent_jobs INT NOT NULL DEFAULT 4,
        ADD COLUMN max_queued_jobs INT NOT NULL DEFAULT 1000`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE tenants DROP COLUMN max_concurrent_jobs, DROP COLUMN max_queued_jobs');
  }
}
