import type { EntityManager } from 'typeorm';
import { JobEntity, type Job, type JobError, type JobMetrics } from '../data/job.entity';
import { assertStorableLossHistory, assertStorableMetrics } from './job-metrics';
import type { JobRunAs } from './job-principal';

/**
 * The job state machine, as guarded UPDATEs: QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED,
 * plus RUNNING → QUEUED (a transient failure waiting for its retry) and FAILED/CANCELLED → QUEUED
 * (retryJob). Each UPDATE names the states it may leave (`WHERE status IN (…)`), and every write
 * of a run also names the run's token: two workers (a stalled one that woke up, and the one that
 * recovered its job) can never both move the same job.
 *
 * Used by the jobs subgraph (submit, cancel, retry) and by its port (the workers' claim, progress, finish).
 */

interface UpdateResult {
  affectedRows?: number;
}

/**
 * Every transition below is keyed by the job's id and also names its status. Left to itself the
 * optimizer reads such an UPDATE through ix_jobs_status (status, id) and locks that entry before the
 * row, while a transaction that already holds the row (a cancel or retry locks it FOR UPDATE first)
 * waits for the same index entry: a worker's progress report and a user's cancel then deadlock.
 * Through the primary key every writer locks the row first, in the same order.
 */
const jobRow = 'jobs FORCE INDEX (PRIMARY)';

const changed = (result: unknown) => ((result as UpdateResult | null)?.affectedRows ?? 0) > 0;

export function findJob(manager: EntityManager, id: string): Promise<Job | null> {
  return manager.getRepository(JobEntity).findOneBy({ id });
}

export type ClaimOutcome =
  | { outcome: 'claimed'; job: Job }
  /** The row is not there (yet): the submit's transaction has not committed, or rolled back. */
  | { outcome: 'missing' }
  /** Cancelled before it started: the queue entry is done. */
  | { outcome: 'cancelled'; job: Job }
  /** A queue entry of an older submission, or of a job that already finished. */
  | { outcome: 'stale'; job: Job };

/** QUEUED (or RUNNING whose worker died) → RUNNING under a new run token. */
export async function claimJob(manager: EntityManager, args: { jobId: string; submission: number; runToken: string; startSeq: number }): Promise<ClaimOutcome> {
  const now = new Date();
  const result = await manager.query(
    `UPDATE ${jobRow} SET status = 'RUNNING', run_token = ?, attempts = attempts + 1, start_seq = ?, started_at = ?, progress = 0,
            phase = 'starting', error_json = NULL, updated_at = ?
      WHERE id = ? AND submission = ? AND status IN ('QUEUED', 'RUNNING') AND cancel_requested = 0`,
    [args.runToken, args.startSeq, now, now, args.jobId, args.submission],
  );
  const job = await findJob(manager, args.jobId);
  if (!job) return { outcome: 'missing' };
  if (changed(result)) return { outcome: 'claimed', job };
  if (job.submission === args.submission && job.cancelRequested && (job.status === 'QUEUED' || job.status === 'RUNNING')) {
    await manager.query(
      `UPDATE ${jobRow} SET status = 'CANCELLED', phase = 'cancelled', run_token = NULL, finished_at = ?, updated_at = ?
        WHERE id = ? AND submission = ? AND status IN ('QUEUED', 'RUNNING')`,
      [now, now, args.jobId, args.submission],
    );
    return { outcome: 'cancelled', job: (await findJob(manager, args.jobId)) ?? job };
  }
  return { outcome: 'stale', job };
}

export type ProgressOutcome = 'ok' | 'cancel-requested' | 'lost';

/** Persists progress of a run; tells the worker whether to go on, stop (cancel), or give up (lost the job). */
export async function recordProgress(
  manager: EntityManager,
  args: { jobId: string; runToken: string; progress: number; phase: string | null; metrics?: JobMetrics | null; lossHistory?: number[] },
): Promise<ProgressOutcome> {
  let metricsSql = '';
  const params: unknown[] = [Math.max(0, Math.min(100, Math.round(args.progress))), args.phase];
  // Refused rather than stored: JSON would keep a NaN or Infinity as null (see job-metrics.ts).
  if (args.metrics) assertStorableMetrics(args.metrics);
  if (args.lossHistory) assertStorableLossHistory(args.lossHistory);
  if (args.metrics !== undefined) {
    metricsSql += ', metrics_json = ?';
    params.push(args.metrics === null ? null : JSON.stringify(args.metrics));
  }
  if (args.lossHistory !== undefined) {
    metricsSql += ', loss_history_json = ?';
    params.push(JSON.stringify(args.lossHistory));
  }
  params.push(new Date(), args.jobId, args.runToken);
  const result = await manager.query(
    `UPDATE ${jobRow} SET progress = ?, phase = ?${metricsSql}, updated_at = ? WHERE id = ? AND run_token = ? AND status = 'RUNNING'`,
    params,
  );
  if (!changed(result)) return 'lost';
  const rows = (await manager.query('SELECT cancel_requested FROM jobs WHERE id = ?', [args.jobId])) as Array<{ cancel_requested: number }>;
  return Number(rows[0]?.cancel_requested ?? 0) === 1 ? 'cancel-requested' : 'ok';
}

export type FinalStatus = 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** RUNNING → a final state, only by the run holding the token. False: this run no longer owns the job. */
export async function finishJob(
  manager: EntityManager,
  args: { jobId: string; runToken: string; status: FinalStatus; sealedResult: { stored: string | null; keyVersion: number | null }; error?: JobError | null; phase?: string | null },
): Promise<boolean> {
  const now = new Date();
  const result = await manager.query(
    `UPDATE ${jobRow} SET status = ?, result_json = ?, result_key_version = ?, error_json = ?, progress = IF(? = 'SUCCEEDED', 100, progress), phase = ?,
            run_token = NULL, finished_at = ?, updated_at = ?
      WHERE id = ? AND run_token = ? AND status = 'RUNNING'`,
    [
      args.status,
      args.sealedResult.stored,
      args.sealedResult.keyVersion,
      args.error ? JSON.stringify(args.error) : null,
      args.status,
      args.phase ?? args.status.toLowerCase(),
      now,
      now,
      args.jobId,
      args.runToken,
    ],
  );
  return changed(result);
}

/** RUNNING → QUEUED: a transient failure; the queue runs the job again after a backoff. */
export async function requeueJob(manager: EntityManager, args: { jobId: string; runToken: string; error: JobError; retryInMs: number }): Promise<boolean> {
  const result = await manager.query(
    `UPDATE ${jobRow} SET status = 'QUEUED', run_token = NULL, error_json = ?, phase = ?, queued_at = ?, updated_at = ?
      WHERE id = ? AND run_token = ? AND status = 'RUNNING'`,
    [JSON.stringify(args.error), `retrying in ${Math.ceil(args.retryInMs / 1000)} s`, new Date(), new Date(), args.jobId, args.runToken],
  );
  return changed(result);
}

/** QUEUED → CANCELLED at once; RUNNING → cancel requested (the worker stops at its next check). */
export async function requestCancel(manager: EntityManager, jobId: string): Promise<'cancelled' | 'requested' | 'final'> {
  const now = new Date();
  const queued = await manager.query(
    `UPDATE ${jobRow} SET status = 'CANCELLED', cancel_requested = 1, phase = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ? AND status = 'QUEUED'`,
    [now, now, jobId],
  );
  if (changed(queued)) return 'cancelled';
  const running = await manager.query(`UPDATE ${jobRow} SET cancel_requested = 1, phase = 'cancelling', updated_at = ? WHERE id = ? AND status = 'RUNNING'`, [now, jobId]);
  return changed(running) ? 'requested' : 'final';
}

/**
 * FAILED | CANCELLED → QUEUED as a new submission, whose runs act for `runAs` (the retrier).
 * False when the job is not in a retryable state.
 */
export async function resubmitJob(manager: EntityManager, jobId: string, runAs: JobRunAs): Promise<boolean> {
  const now = new Date();
  const result = await manager.query(
    `UPDATE ${jobRow} SET status = 'QUEUED', submission = submission + 1, cancel_requested = 0, progress = 0, phase = 'queued',
            metrics_json = NULL, loss_history_json = NULL, result_json = NULL, result_key_version = NULL, error_json = NULL, run_token = NULL, start_seq = NULL,
            queued_at = ?, started_at = NULL, finished_at = NULL, updated_at = ?, run_as_subject = ?, run_as_roles = ?, run_as_client = ?
      WHERE id = ? AND status IN ('FAILED', 'CANCELLED')`,
    [now, now, runAs.runAsSubject, runAs.runAsRoles, runAs.runAsClient, jobId],
  );
  return changed(result);
}

/** Why a RUNNING row that no run holds any more was ended (see JobRunReconciler). */
export const runLostError: JobError = {
  code: 'RUN_LOST',
  message: 'The run of this job ended without its outcome being recorded (its worker could not reach the jobs service, or the tenant was suspended while it ran), and nothing runs it any more. Outputs it registered under this job id stay; retryJob starts it anew.',
};
