import type { JobGrantToken, Principal } from '@tessera/auth';
import type { ObjectReencryptionInput, ObjectReencryptionProgress, PortMethods } from '@tessera/service-kit';
import type { JobInput } from '../domain/job-input';

/**
 * What other services may do with jobs. The workers run them (claim → progress → finish or
 * requeue); the metrics service reads counts and run times. Everything is scoped by the actor's
 * tenant: another tenant's job id is simply not there.
 */
export type JobKindName = 'TRAIN' | 'BATCH_INFERENCE' | 'PROFILE';
export type JobFinalStatus = 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type JobProgressOutcome = 'ok' | 'cancel-requested' | 'lost';

export interface JobRunError {
  code: string;
  message: string;
}

/** What a worker needs of a claimed job: never the row itself. */
export interface ClaimedJob {
  id: string;
  kind: JobKindName;
  input: JobInput;
  /** Runs so far, this one included (names this attempt's output objects). */
  attempts: number;
}

/** Who a run acts as, from the job row (the queue entry names only the row). */
export interface JobRunAsPrincipal {
  subject: string;
  roles: string[];
  clientId: string | null;
}

export type JobClaim =
  /**
   * `grant`: what the run presents to the datasets and models ports (they derive the principal and
   * what may be touched from it); it expires with the lease and is renewed with `renewGrant`.
   */
  | { outcome: 'claimed'; job: ClaimedJob; runAs: JobRunAsPrincipal; grant: JobGrantToken; grantExpiresAt: string }
  /** Not there (yet): the submit has not committed, rolled back, or the id is another tenant's. */
  | { outcome: 'missing' }
  /** Cancelled before it started. */
  | { outcome: 'cancelled' }
  /** An older submission's entry, or a job already finished. */
  | { outcome: 'stale' }
  /**
   * The principal the job acts for lost its access (API key revoked, expired or deleted, service
   * account deleted, member removed or downgraded): the jobs service ended it FAILED
   * PRINCIPAL_REVOKED; nothing is to run and the entry is not to be retried.
   */
  | { outcome: 'revoked' };

export interface TrainingJobStats {
  /** Training jobs created in the range, by status. */
  byStatus: Array<{ status: string; jobs: number }>;
  /** Run times of the SUCCEEDED ones: count, mean and the asked nearest-rank quantiles (ms). */
  succeeded: { count: number; meanMs: number | null; quantilesMs: Array<number | null> };
}

/**
 * A fresh grant for a run that still owns its job, or `lost`: the job finished, was taken over or
 * cancelled and stopped; or `revoked`: its principal lost its access, and the jobs service ended it
 * FAILED PRINCIPAL_REVOKED (the run stops, registers nothing, and its entry is not retried).
 */
export type JobGrantRenewal = { outcome: 'renewed'; grant: JobGrantToken; grantExpiresAt: string } | { outcome: 'lost' } | { outcome: 'revoked' };

export interface JobsPort {
  /** `leaseMs`: the worker's lock duration; the grant lives about two of them. */
  claim(actor: Principal, input: { jobId: string; submission: number; runToken: string; startSeq: number; leaseMs?: number }): Promise<JobClaim>;
  renewGrant(actor: Principal, input: { jobId: string; runToken: string; leaseMs?: number }): Promise<JobGrantRenewal>;
  progress(
    actor: Principal,
    input: { jobId: string; runToken: string; progress: number; phase: string; metrics?: Record<string, number> | undefined; lossHistory?: number[] | undefined },
  ): Promise<JobProgressOutcome>;
  /**
   * False: this run no longer owns the job (nothing was written). `workerMs`: how long the run's
   * processor ran, metered as the tenant's jobWorkerMs by this service — at most the run's wall time
   * since its claim, so a worker can report no more than the run really lasted.
   */
  finish(
    actor: Principal,
    input: { jobId: string; runToken: string; status: JobFinalStatus; result?: Record<string, unknown> | null; error?: JobRunError | null; phase?: string | null; workerMs?: number | undefined },
  ): Promise<boolean>;
  requeue(actor: Principal, input: { jobId: string; runToken: string; error: JobRunError; retryInMs: number; workerMs?: number | undefined }): Promise<boolean>;
  trainingJobStats(actor: Principal, input: { from: string; to: string; quantiles: number[] }): Promise<TrainingJobStats>;
  /** Every job row of the tenant (tenantUsage). */
  jobCount(actor: Principal, input: Record<string, never>): Promise<number>;
  /** The tenant's unfinished jobs (queued + running): what `maxQueuedJobs` limits (tenantUsage's live quotas). */
  unfinishedJobCount(actor: Principal, input: Record<string, never>): Promise<number>;
  /** Re-seals the tenant's job results sealed under a data-key version below `belowVersion` (0 batch: only count). */
  reencryptObjects(actor: Principal, input: ObjectReencryptionInput): Promise<ObjectReencryptionProgress>;
  /**
   * Called by the datasets service once it has deleted dataset versions: clears the stored results
   * of the actor's tenant's profile jobs over them (a profile holds values of its version). Only a
   * version the datasets port no longer finds is cleared, so the call can take away nothing that
   * the read of the result would not; at most `maxProfileClearVersionIds` ids per call.
   */
  clearProfileResults(actor: Principal, input: { datasetVersionIds: string[] }): Promise<ProfileResultsCleared>;
}

export interface ProfileResultsCleared {
  /** Job rows whose result was cleared by this call. */
  cleared: number;
}

/** The most version ids one `clearProfileResults` call takes (a caller sends more in several calls). */
export const maxProfileClearVersionIds = 500;

export const jobsPortMethods = ['claim', 'renewGrant', 'progress', 'finish', 'requeue', 'trainingJobStats', 'jobCount', 'unfinishedJobCount', 'reencryptObjects', 'clearProfileResults'] as const satisfies ReadonlyArray<keyof JobsPort>;

/**
 * Only the workers run jobs; only the metrics service reads their numbers; only the tenants service
 * re-seals results; the datasets service may only clear the profiles of versions it deleted.
 */
export const jobsPortCallers = {
  claim: ['workers'],
  renewGrant: ['workers'],
  progress: ['workers'],
  finish: ['workers'],
  requeue: ['workers'],
  trainingJobStats: ['metrics'],
  jobCount: ['metrics'],
  unfinishedJobCount: ['metrics'],
  reencryptObjects: ['tenants'],
  clearProfileResults: ['datasets'],
} as const satisfies Record<keyof JobsPort, readonly string[]>;

export type JobsPortMethods = PortMethods<JobsPort>;
