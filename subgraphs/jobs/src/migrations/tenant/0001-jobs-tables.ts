import type { QueryRunner } from 'typeorm';
import { SingleSequenceBaseline } from '@tessera/tenancy';

/**
 * Tenant plane: jobs and the submit guard.
 *
 * What the state machine and the workers need on a job's row:
 * - `metrics_json`: the latest metrics (epoch, loss…), shown while the job runs, and
 *   `loss_history_json`: the loss of every epoch so far;
 * - `cancel_requested`: a running job is cancelled cooperatively; the worker checks the flag
 *   between epochs/chunks, so it is a column rather than a status;
 * - `submission`: bumped by every retryJob, so a stale queue entry of an earlier submission is ignored;
 * - `run_token`: set when a worker claims the job; every later write of that run is guarded by it,
 *   so a worker that lost its lock (stalled, then recovered elsewhere) can no longer write;
 * - `start_seq`: a platform-wide start order (Redis counter), for fairness checks without clocks;
 * - queued/started/finished timestamps for queue-wait numbers;
 * - `run_as_subject`, `run_as_roles` (comma-separated, like `audit_events.actor_roles`) and
 *   `run_as_client`: who the job acts for. A queue entry carries ids only, so the worker takes the
 *   principal of a run from the row, never from Redis; written by whoever submits the job, and
 *   rewritten by whoever retries it. Nullable: rows from before they existed run as their
 *   `created_by` with the least role a job needs (see `principalOfJob`).
 */
export class JobsTables1765000000001 extends SingleSequenceBaseline {
  name = 'JobsTables1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE jobs (
        id CHAR(36) NOT NULL PRIMARY KEY,
        kind VARCHAR(32) NOT NULL,
        status VARCHAR(16) NOT NULL,
        input_json JSON NOT NULL,
        progress INT NOT NULL DEFAULT 0,
        phase VARCHAR(64) NULL,
        metrics_json JSON NULL,
        loss_history_json JSON NULL,
        result_json JSON NULL,
        error_json JSON NULL,
        attempts INT NOT NULL DEFAULT 0,
        cancel_requested TINYINT(1) NOT NULL DEFAULT 0,
        submission INT NOT NULL DEFAULT 1,
        run_token CHAR(36) NULL,
        start_seq BIGINT NULL,
        queued_at DATETIME(3) NULL,
        started_at DATETIME(3) NULL,
        finished_at DATETIME(3) NULL,
        created_by VARCHAR(255) NOT NULL,
        run_as_subject VARCHAR(255) NULL,
        run_as_roles VARCHAR(255) NULL,
        run_as_client VARCHAR(255) NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        KEY ix_jobs_page (created_at, id),
        KEY ix_jobs_status (status),
        KEY ix_jobs_kind (kind, created_at)
      ) ENGINE=InnoDB`);
    // One row that every submit (and retry) of the tenant locks first: the queue-length check and
    // the insert then happen one submit at a time, without range locks on `jobs` (which deadlock).
    await q.query('CREATE TABLE job_submit_guard (id TINYINT NOT NULL PRIMARY KEY) ENGINE=InnoDB');
    await q.query('INSERT INTO job_submit_guard (id) VALUES (1)');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['job_submit_guard', 'jobs']) await q.query(`DROP TABLE ${table}`);
  }
}
