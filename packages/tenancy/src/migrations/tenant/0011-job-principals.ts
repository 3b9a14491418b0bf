import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant plane: a job row records who it acts for. A queue entry carries ids only, so the worker
 * takes the principal of a run from the row, never from Redis: `run_as_subject`, `run_as_roles`
 * (comma-separated, like `audit_events.actor_roles`) and `run_as_client` are written by whoever
 * submits the job, and rewritten by whoever retries it (the retry's runs act for the retrier).
 *
 * The columns are nullable and not backfilled: rows submitted before this migration (or by a
 * replica still running the previous code during a rolling upgrade) have no recorded principal.
 * The worker runs those as their `created_by` with the least role a job needs (`data_scientist`:
 * write, not administer); see `principalOfJob`.
 */
export class JobPrincipals1764000000011 implements MigrationInterface {
  name = 'JobPrincipals1764000000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE jobs
        ADD COLUMN run_as_subject VARCHAR(255) NULL AFTER created_by,
        ADD COLUMN run_as_roles VARCHAR(255) NULL AFTER run_as_subject,
        ADD COLUMN run_as_client VARCHAR(255) NULL AFTER run_as_roles`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE jobs DROP COLUMN run_as_subject, DROP COLUMN run_as_roles, DROP COLUMN run_as_client');
  }
}
