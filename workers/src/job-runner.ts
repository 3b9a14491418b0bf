import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError, type Job as QueueJob } from 'bullmq';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { parseRoles, type Principal } from '@tessera/auth';
import { isTesseraError } from '@tessera/errors';
import { JobQueueKeys, type JobMessage, type TenantLeases, type WorkerPool } from '@tessera/job-queue';
import type { JobClaim, JobFinalStatus, JobRunAsPrincipal, JobRunError, JobsPort } from '@tessera/jobs/ports';
import { HyperParameterError, TrainingCancelled, TrainingDataError, TrainingDiverged } from '@tessera/training';
import { attributes, extractTraceContext, setTenantAttributes, SpanKind, tenantAttributes, withSpan } from '@tessera/telemetry';
import { JobCancelled, JobContext, JobLost, JobPrincipalRevoked, JobTimeLimitExceeded } from './job-context';
import type { ProcessorTable } from './processors/job-processor';
import { QueueEntryRefused, readQueueEntry } from './queue-entry';
import { withinRunLimit } from './run-limit';
import { isTransientFailure } from './transient-errors';
import type { WorkerRuntime } from './worker-runtime';

export interface FetchedJob {
  tenantId: string;
  queueJob: QueueJob<JobMessage>;
  /** The BullMQ lock token this run fetched the entry with. */
  token: string;
  /** The concurrency lease this run holds for its tenant. */
  leaseHolder: string;
}

/**
 * Runs one queue entry: claims the job through the jobs service's port (QUEUED → RUNNING, under a
 * fresh run token), runs the processor of its kind as the principal the row records, while keeping
 * the queue lock and the tenant lease alive, and records the outcome through the port (which also
 * publishes it on the tenant's 'jobs' topic) and in the queue.
 * Transient failures go back to the queue with exponential backoff; everything else ends the job
 * as FAILED with a typed error. The entry itself only names the row: one that is malformed, sits
 * in another tenant's queue, or names no current submission of a job of this tenant is dropped
 * without running anything.
 */
export class JobRunner {
  private readonly keys: JobQueueKeys;
  private readonly jobs: JobsPort;

  constructor(
    private readonly runtime: WorkerRuntime,
    private readonly redis: Redis,
    private readonly leases: TenantLeases,
    private readonly processors: ProcessorTable,
    /** The pool this worker serves: its start counter (a dedicated tenant's workers count on their own). */
    private readonly pool: WorkerPool,
  ) {
    this.keys = new JobQueueKeys(runtime.config.redis.keyPrefix);
    this.jobs = runtime.ports.jobs;
  }

  /**
   * One span per run ("job run", kind CONSUMER), a child of the request that queued the job (its
   * trace context travels in the queue message), with the tenant, job id, kind and outcome.
   */
  async run(fetched: FetchedJob): Promise<void> {
    // The tenant is the queue's (fetched.tenantId); the entry is read as untrusted input.
    const entry = readQueueEntry(fetched.queueJob.data as unknown, fetched.tenantId);
    const message = entry instanceof QueueEntryRefused ? undefined : entry;
    const spanAttributes = {
      ...tenantAttributes({ tenantId: fetched.tenantId }),
      [attributes.service]: 'worker',
      ...(message ? { [jobAttributes.id]: message.jobId, [jobAttributes.submission]: message.submission } : {}),
    };
    await withSpan('tessera-worker', 'job run', { kind: SpanKind.CONSUMER, parent: extractTraceContext(message?.trace ?? {}), attributes: spanAttributes }, () =>
      this.runInSpan(fetched, entry),
    );
  }

  private async runInSpan(fetched: FetchedJob, entry: JobMessage | QueueEntryRefused): Promise<void> {
    const { queueJob, token } = fetched;
    const logger = this.runtime.logger.child(
      entry instanceof QueueEntryRefused
        ? { tenantId: fetched.tenantId, queueEntryId: queueJob.id }
        : { tenantId: fetched.tenantId, jobId: entry.jobId, submission: entry.submission },
    );
    const lockMs = this.runtime.config.lockMs;
    let context: JobContext | undefined;
    // Keeps the queue lock and the tenant lease alive; a lock we cannot renew means another worker
    // may take the job over: the run stops at its next checkpoint.
    const heartbeat = setInterval(() => {
      void (async () => {
        try {
          const extended = await queueJob.extendLock(token, lockMs);
          if (!extended) context?.markLost();
          await this.leases.renew(fetched.tenantId, fetched.leaseHolder);
          // The grant lives about two leases; it is renewed with the lock while the run owns the job.
          await context?.renewGrantIfDue(lockMs);
        } catch (error) {
          logger.warn('lock renewal failed', { error: describe(error) });
        }
      })();
    }, Math.max(250, Math.floor(lockMs / 3)));
    try {
      if (entry instanceof QueueEntryRefused) {
        recordOutcome(`refused: ${entry.reason}`, true);
        logger.warn('queue entry refused; nothing ran', { reason: entry.reason, detail: entry.detail });
        await queueJob.moveToFailed(new UnrecoverableError(entry.message), token, false).catch(() => undefined);
        return;
      }
      const message = entry;
      // Until the row is claimed the run acts as nobody: this principal holds no role, so nothing
      // it could reach would pass a permission check or be audited in anyone's name.
      const runner = runnerPrincipal(fetched.tenantId, message);
      const runToken = randomUUID();
      const claim = await this.claim(runner, message, runToken);
      if (claim.outcome !== 'claimed') {
        recordOutcome(`skipped: ${claim.outcome}`);
        if (claim.outcome === 'cancelled') {
          logger.info('queue entry skipped: the job was cancelled', { outcome: claim.outcome });
        } else if (claim.outcome === 'revoked') {
          // The jobs service ended the row FAILED PRINCIPAL_REVOKED: the entry ends, never retried.
          logger.warn('job not run: the principal it acts for no longer holds access', { outcome: claim.outcome });
        } else {
          // No such job in this tenant's schema, or not its current submission: nothing ran, nothing changed.
          logger.warn('queue entry dropped; nothing ran', { outcome: claim.outcome });
        }
        await queueJob.moveToCompleted({ skipped: claim.outcome }, token, false);
        return;
      }
      // From here on the run acts as the principal the row records, never one named in the queue:
      // the datasets and models services read it (and what the job may touch) from the grant.
      const principal = jobPrincipal(runner, claim.runAs);
      const tenant = await this.runtime.directory.requireActive(fetched.tenantId);
      setTenantAttributes(trace.getActiveSpan(), { subject: principal.subject, roles: principal.roles });
      trace.getActiveSpan()?.setAttribute(jobAttributes.kind, claim.job.kind);
      context = new JobContext(claim.job, tenant, principal, runToken, claim, this.jobs, logger, this.runtime.objectFetch);
      await this.execute(context, queueJob, token);
    } catch (error) {
      if (isTransientFailure(error) || isTenantRefusal(error)) {
        // Nothing ran (the jobs service or the directory was unreachable, or the tenant was
        // suspended between the pick and the start): this uses none of the job's attempts, which
        // are for runs. Ending the entry instead would leave its row QUEUED (or RUNNING) with
        // nothing left to run it once the outage is over or the tenant is resumed (the scheduler
        // takes no job of a suspended tenant meanwhile).
        const retryInMs = beforeStartRetryMs(queueJob);
        recordOutcome('not started: retrying');
        logger.warn('job could not be started; the entry waits for another try', { error: describe(error), retryInMs });
        await queueJob.moveToDelayed(Date.now() + retryInMs, token).catch(() => undefined);
        return;
      }
      recordOutcome('failed before it started', true);
      logger.error('job run failed before it started', { error: describe(error) });
      await queueJob.moveToFailed(new UnrecoverableError(describe(error)), token, false).catch(() => undefined);
    } finally {
      clearInterval(heartbeat);
      await this.leases.release(fetched.tenantId, fetched.leaseHolder).catch(() => undefined);
    }
  }

  /**
   * An entry whose worker died while holding it more than maxStalledCount times is failed by
   * BullMQ itself when it is next fetched (a deferred failure), so that a job that kills every
   * worker running it (a crash loop) is not run again. Its row is still RUNNING under the dead
   * run's token: this claims it under a fresh one and ends it FAILED as WORKER_LOST, so the job
   * does not stay RUNNING forever. The entry is read as untrusted input, as in `run`.
   */
  async endLost(tenantId: string, queueJob: QueueJob<JobMessage>): Promise<void> {
    const entry = readQueueEntry(queueJob.data as unknown, tenantId);
    if (entry instanceof QueueEntryRefused) return;
    const logger = this.runtime.logger.child({ tenantId, jobId: entry.jobId, submission: entry.submission });
    const runner = runnerPrincipal(tenantId, entry);
    const runToken = randomUUID();
    const claim = await this.claim(runner, entry, runToken);
    if (claim.outcome !== 'claimed') return; // cancelled, finished or replaced meanwhile: nothing is RUNNING
    const jobError: JobRunError = { code: 'WORKER_LOST', message: `The worker running this job stopped ${queueJob.stalledCounter} times before it finished; it was not run again.` };
    logger.error('job failed: its workers kept dying while running it', { stalled: queueJob.stalledCounter });
    await this.recordFinish(jobPrincipal(runner, claim.runAs), logger, { jobId: entry.jobId, runToken, status: 'FAILED', error: jobError, phase: 'failed' });
  }

  private async execute(ctx: JobContext, queueJob: QueueJob<JobMessage>, token: string): Promise<void> {
    const { job, principal, runToken } = ctx;
    try {
      const processor = this.processors[job.kind];
      const outcome = await this.metered(ctx, () => withinRunLimit(ctx, processor(ctx), ctx.logger));
      try {
        // Asked, not just the flags the last report left: a cancel since then must not end SUCCEEDED.
        await ctx.confirm();
      } catch (error) {
        // Cancelled or lost after the output was stored: undo it (object, quota reservation) now.
        await outcome.abandon?.().catch(() => undefined);
        throw error;
      }
      // The output is registered by its owner first (idempotent by job id), then the job finishes.
      // Two services, so no shared transaction: a run that loses the job in between leaves the
      // registered output to the run that owns it now, which gets the same version back.
      try {
        await outcome.commit?.();
      } catch (error) {
        await outcome.abandon?.().catch(() => undefined);
        throw error;
      }
      const finished = await this.recordFinish(principal, ctx.logger, { jobId: job.id, runToken, status: 'SUCCEEDED', result: outcome.result, workerMs: ctx.ranMs });
      if (!finished) throw new JobLost();
      await this.finishQueued(ctx, queueJob, token, 'SUCCEEDED', outcome.result);
    } catch (error) {
      await this.handleFailure(ctx, queueJob, token, error);
    }
  }

  /**
   * Runs a processor and keeps the time it ran (success or failure) on the context: the run reports
   * it with its outcome (`finish`, `requeue`) and the jobs service meters it as the tenant's
   * jobWorkerMs, capped by the run's wall time (a worker holds no right on any tenant's meters).
   */
  private async metered<T>(ctx: JobContext, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      ctx.ranMs += performance.now() - started;
    }
  }

  private async handleFailure(ctx: JobContext, queueJob: QueueJob<JobMessage>, token: string, error: unknown): Promise<void> {
    const { job, principal, runToken, logger } = ctx;
    if (error instanceof JobPrincipalRevoked || ctx.isRevoked) {
      // The jobs service already ended the row FAILED PRINCIPAL_REVOKED (audited, published): the
      // run writes nothing more, and the entry fails for good — no retry acts for that principal.
      recordOutcome('FAILED', true, 'PRINCIPAL_REVOKED');
      logger.warn('run stopped: the principal the job acts for no longer holds access');
      await queueJob.moveToFailed(new UnrecoverableError('the principal this job acts for no longer holds access'), token, false).catch(() => undefined);
      return;
    }
    if (error instanceof JobLost || ctx.isLost) {
      // Another run owns the job now; leave the row and the queue entry to it.
      recordOutcome('lost');
      logger.warn('run lost its job; stopping without writing');
      return;
    }
    if (error instanceof JobCancelled || error instanceof TrainingCancelled) {
      const done = await this.recordFinish(principal, logger, { jobId: job.id, runToken, status: 'CANCELLED', phase: 'cancelled', workerMs: ctx.ranMs });
      if (done) await this.finishQueued(ctx, queueJob, token, 'CANCELLED', null);
      return;
    }
    if (isTierRefusal(error)) {
      // The tenant moved to another tier while this run held its job: the owners refuse this pool
      // for it from then on, so the run can neither go on nor record an outcome. Its entry goes back
      // to the tenant's queue as it is (no attempt of its retry policy used, the row still RUNNING
      // under this run's token); the new pool's claim takes the row over, as after a lost worker,
      // and runs the job from the start. What this run left (a reservation, an unregistered
      // object) is what a crashed run leaves, and the next run's output steps clear or reuse it.
      recordOutcome('handed over: tier changed');
      logger.warn("the tenant moved to another tier: this run stops and the job goes back to the queue for the tenant's new pool", { error: describe(error) });
      await queueJob.moveToDelayed(Date.now(), token).catch(() => undefined);
      return;
    }
    const attemptsLeft = queueJob.attemptsMade + 1 < (queueJob.opts.attempts ?? 1);
    if (isTransientFailure(error) && attemptsLeft) {
      const retryInMs = (queueJob.opts.backoff && typeof queueJob.opts.backoff === 'object' ? (queueJob.opts.backoff.delay ?? 1000) : 1000) * 2 ** queueJob.attemptsMade;
      recordOutcome('retrying');
      logger.warn('transient failure; the job will be retried', { error: describe(error), retryInMs });
      const jobError: JobRunError = { code: 'SERVICE_UNAVAILABLE', message: `A dependency was unreachable (${describeForTenant(error)}); retrying.` };
      await this.jobs.requeue(principal, { jobId: job.id, runToken, error: jobError, retryInMs, workerMs: ctx.ranMs }).catch(() => false);
      await queueJob.moveToFailed(toError(error), token, false).catch(() => undefined);
      return;
    }
    const jobError = toJobError(error);
    recordOutcome('FAILED', true, jobError.code);
    if (jobError.code === 'INTERNAL_SERVER_ERROR') logger.error('job failed', { error: error instanceof Error ? error.stack : String(error) });
    await this.recordFinish(principal, logger, { jobId: job.id, runToken, status: 'FAILED', error: jobError, phase: 'failed', workerMs: ctx.ranMs }).catch((finishError: unknown) => {
      // The entry ends below; with no run behind it, the jobs service ends the row (RUN_LOST).
      logger.error('job outcome could not be recorded; the jobs service will end the job', { error: describe(finishError), outcome: jobError.code });
      return false;
    });
    await queueJob.moveToFailed(new UnrecoverableError(jobError.message), token, false).catch(() => undefined);
  }

  /**
   * Records a run's outcome through the jobs port. While the jobs service is unreachable it is
   * asked again (WORKER_OUTCOME_RETRY_BACKOFF_MS, 1 s, doubling, at most every
   * WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS, 10 s) for up to WORKER_OUTCOME_RETRY_MS, the run keeping
   * its queue lock and tenant lease meanwhile (the heartbeat runs until the run returns), so a
   * short outage does not cost the run; then the last failure is thrown.
   */
  private async recordFinish(principal: Principal, logger: JobContext['logger'], input: Parameters<JobsPort['finish']>[1]): Promise<boolean> {
    const { outcomeRetryMs, outcomeRetryBackoffMs, outcomeRetryBackoffMaxMs } = this.runtime.config;
    const deadline = Date.now() + outcomeRetryMs;
    for (let waitMs = outcomeRetryBackoffMs; ; waitMs = Math.min(outcomeRetryBackoffMaxMs, waitMs * 2)) {
      try {
        return await this.jobs.finish(principal, input);
      } catch (error) {
        const left = deadline - Date.now();
        if (!isTransientFailure(error) || left <= 0) throw error;
        logger.warn('job outcome not recorded yet; trying again', { error: describe(error), status: input.status, retryInMs: Math.min(waitMs, left) });
        await sleep(Math.min(waitMs, left));
      }
    }
  }

  private async finishQueued(ctx: JobContext, queueJob: QueueJob<JobMessage>, token: string, status: JobFinalStatus, result: Record<string, unknown> | null): Promise<void> {
    recordOutcome(status);
    await queueJob.moveToCompleted({ status, hasResult: result !== null }, token, false).catch((error: unknown) => {
      ctx.logger.warn('queue entry could not be completed', { error: describe(error) });
    });
  }

  /**
   * The row may not be visible yet: the submit queues inside its transaction, so a fast worker can
   * see the entry a moment before the commit. It waits briefly; a row that never appears belonged
   * to a submit that rolled back.
   */
  private async claim(runner: Principal, message: JobMessage, runToken: string): Promise<JobClaim> {
    for (let attempt = 0; ; attempt++) {
      const startSeq = await this.redis.incr(this.keys.startSequence(this.pool));
      const outcome = await this.jobs.claim(runner, { jobId: message.jobId, submission: message.submission, runToken, startSeq, leaseMs: this.runtime.config.lockMs });
      if (outcome.outcome !== 'missing' || attempt >= 10) return outcome;
      await sleep(300);
    }
  }
}

/** Longest wait between tries to start an entry while a service it needs is unreachable. */
const maxBeforeStartRetryMs = 30_000;

/** The queue's backoff, doubled with each fetch of the entry, up to maxBeforeStartRetryMs. */
function beforeStartRetryMs(queueJob: QueueJob<JobMessage>): number {
  const base = queueJob.opts.backoff && typeof queueJob.opts.backoff === 'object' ? (queueJob.opts.backoff.delay ?? 1000) : 1000;
  return Math.min(maxBeforeStartRetryMs, base * 2 ** Math.min(10, Math.max(0, (queueJob.attemptsStarted ?? 1) - 1)));
}

/** Span attribute names of a job run. */
const jobAttributes = {
  id: 'tessera.job.id',
  kind: 'tessera.job.kind',
  submission: 'tessera.job.submission',
  outcome: 'tessera.job.outcome',
  errorCode: 'tessera.job.error_code',
} as const;

/** How the run ended, on its span (an error status for a failed job). */
function recordOutcome(outcome: string, failed = false, errorCode?: string): void {
  const span = trace.getActiveSpan();
  span?.setAttribute(jobAttributes.outcome, outcome);
  if (errorCode) span?.setAttribute(jobAttributes.errorCode, errorCode);
  if (failed) span?.setStatus({ code: SpanStatusCode.ERROR, message: errorCode ?? outcome });
}

/** The worker itself while it reads and claims a row: no role, so it may do nothing else. */
function runnerPrincipal(tenantId: string, message: JobMessage): Principal {
  return {
    kind: 'user',
    subject: 'system:job-runner',
    tenantId,
    roles: [],
    clientId: undefined,
    requestId: `job-${message.jobId}-${message.submission}`,
    sourceIp: undefined,
  };
}

/** The principal the jobs service says the run acts as (from the row), in the queue's tenant. */
function jobPrincipal(runner: Principal, runAs: JobRunAsPrincipal): Principal {
  return { ...runner, subject: runAs.subject, roles: parseRoles(runAs.roles), clientId: runAs.clientId ?? undefined };
}

/**
 * The owner refused this pool for the tenant because of its tier (`tenant-dedicated` for the shared
 * pool, `tenant-not-dedicated` for a dedicated tenant's workers): another pool serves it now.
 */
function isTierRefusal(error: unknown): boolean {
  if (!isTesseraError(error) || error.code !== 'FORBIDDEN') return false;
  const reason = error.extensions['reason'];
  return reason === 'tenant-dedicated' || reason === 'tenant-not-dedicated';
}

/** The tenant is not active (suspended since the scheduler picked it): its jobs wait, nothing runs. */
function isTenantRefusal(error: unknown): boolean {
  return isTesseraError(error) && error.code === 'FORBIDDEN';
}

function toJobError(error: unknown): JobRunError {
  if (isTesseraError(error)) return { code: error.code, message: error.message };
  if (error instanceof TrainingDataError || error instanceof HyperParameterError) return { code: 'BAD_USER_INPUT', message: error.message };
  if (error instanceof TrainingDiverged) return { code: 'TRAINING_DIVERGED', message: error.message };
  if (error instanceof JobTimeLimitExceeded) return { code: 'JOB_TIME_LIMIT', message: error.message };
  if (isTransientFailure(error)) return { code: 'SERVICE_UNAVAILABLE', message: `A dependency stayed unreachable after every retry (${describeForTenant(error)}).` };
  return { code: 'INTERNAL_SERVER_ERROR', message: 'The job failed unexpectedly; the operator logs have the details under this job id.' };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** For the operator's log: the message, and what the socket or driver said under it (addresses included). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

/**
 * For the job's error, which the tenant reads: a platform error's own message (it names the
 * service, never its address); a raw socket or driver error (MySQL, Redis) says only that a
 * connection failed, since its text names internal hosts and ports.
 */
function describeForTenant(error: unknown): string {
  return isTesseraError(error) ? error.message : 'a connection to a platform service failed';
}
