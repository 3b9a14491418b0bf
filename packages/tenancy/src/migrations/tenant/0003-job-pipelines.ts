import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant plane: job pipelines (issue #5). The `jobs` table of 0001 gets what the state machine and
 * the workers need:
 * - `metrics_json`: the latest metrics (epoch, loss…), shown while the job runs, and
 *   `loss_history_json`: the loss of every epoch so far;
 * - `cancel_requested`: a running job is cancelled cooperatively; the worker checks the flag
 *   between epochs/chunks, so it is a column rather than a status;
 * - `submission`: bumped by every retryJob, so a stale queue entry of an earlier submission is ignored;
 * - `run_token`: set when a worker claims the job; every later write of that run is guarded by it,
 *   so a worker that lost its lock (stalled, then recovered elsewhere) can no longer write;
 * - `start_seq`: a platform-wide start order (Redis counter), for fairness checks without clocks;
 * - queued/started/finished timestamps for queue-wait numbers.
 * Dataset versions written by a job (batch-inference predictions) record the job, uniquely, so a
 * re-run after a crash cannot register a second version.
 */
export class JobPipelines1764000000003 implements MigrationInterface {
  name = 'JobPipelines1764000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE jobs
        ADD COLUMN metrics_json JSON NULL AFTER phase,
        ADD COLUMN loss_history_json JSON NULL AFTER metrics_json,
        ADD COLUMN cancel_requested TINYINT(1) NOT NULL DEFAULT 0 AFTER attempts,
        ADD COLUMN submission INT NOT NULL DEFAULT 1 AFTER cancel_requested,
        ADD COLUMN run_token CHAR(36) NULL AFTER submission,
        ADD COLUMN start_seq BIGINT NULL AFTER run_token,
        ADD COLUMN queued_at DATETIME(3) NULL AFTER start_seq,
        ADD COLUMN started_at DATETIME(3) NULL AFTER queued_at,
        ADD COLUMN finished_at DATETIME(3) NULL AFTER started_at,
        ADD KEY ix_jobs_kind (kind, created_at)`);
    // One row that every submit (and retry) of the tenant locks first: the queue-length check and
    // the insert then happen one submit at a time, without range locks on `jobs` (which deadlock).
    await q.query('CREATE TABLE job_submit_guard (id TINYINT NOT NULL PRIMARY KEY) ENGINE=InnoDB');
    await q.query('INSERT INTO job_submit_guard (id) VALUES (1)');
    await q.query(`
      ALTER TABLE dataset_versions
        ADD COLUMN source_job_id CHAR(36) NULL,
        ADD UNIQUE KEY uq_dataset_versions_source_job (source_job_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE job_submit_guard');
    await q.query('ALTER TABLE dataset_versions DROP KEY uq_dataset_versions_source_job, DROP COLUMN source_job_id');
    await q.query(`
      ALTER TABLE jobs
        DROP KEY ix_jobs_kind,
        DROP COLUMN metrics_json, DROP COLUMN loss_history_json, DROP COLUMN cancel_requested, DROP COLUMN submission, DROP COLUMN run_token,
        DROP COLUMN start_seq, DROP COLUMN queued_at, DROP COLUMN started_at, DROP COLUMN finished_at`);
  }
}
