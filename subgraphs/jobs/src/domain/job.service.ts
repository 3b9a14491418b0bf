import { randomUUID } from 'node:crypto';
import type { EntityManager, QueryDeepPartialEntity } from 'typeorm';
import { assertPermission } from '@tessera/auth';
import { recordAuditEvent, recordResourceOwner } from '@tessera/audit-client';
import { errors, isTesseraError } from '@tessera/errors';
import type { JobMessage } from '@tessera/job-queue';
import { countUnfinishedJobs } from '@tessera/quotas';
import { pageOf, parseUuid, type Connection, type PageArgs } from '@tessera/service-kit';
import { injectTraceHeaders } from '@tessera/telemetry';
import type { TenantScope } from '@tessera/tenancy';
import { jobListQuery } from '../data/job-list-query';
import { JobEntity, jobKinds, jobStatuses, type Job, type JobKind, type JobStatus } from '../data/job.entity';
import { toJobEvent } from './job-event';
import type { JobInput } from './job-input';
import { JobInputResolver, type SubmitBatchInferenceArgs, type SubmitProfileArgs, type SubmitTrainingArgs } from './job-input-resolver';
import { jobNotFound } from './job-not-found';
import { runAsOf } from './job-principal';
import { findJob, requestCancel, resubmitJob } from './job-state';
import type { JobsDeps } from './jobs-deps';

export type JobOrder = 'OLDEST_FIRST' | 'NEWEST_FIRST';

export interface JobFilter {
  status?: JobStatus[] | null;
  kind?: JobKind[] | null;
  datasetVersionId?: string | null;
}

/**
 * Jobs of one tenant: submit (validated, quota-checked, recorded and queued in one transaction),
 * read, cancel and retry. Each public method starts with the permission it needs.
 */
export class JobService {
  constructor(
    private readonly scope: TenantScope,
    private readonly deps: JobsDeps,
  ) {}

  async list(filter: JobFilter | null | undefined, args: PageArgs & { order?: JobOrder | null }): Promise<Connection<Job>> {
    assertPermission(this.scope.principal, 'read');
    // Each value once: a list repeating one status 45 000 times was one 45 000-placeholder IN query.
    const statuses = filter?.status ? [...new Set(filter.status)] : null;
    const kinds = filter?.kind ? [...new Set(filter.kind)] : null;
    if (statuses?.some((s) => !jobStatuses.includes(s))) throw errors.badInput('filter.status holds an unknown status.', { field: 'filter.status' });
    if (kinds?.some((k) => !jobKinds.includes(k))) throw errors.badInput('filter.kind holds an unknown kind.', { field: 'filter.kind' });
    const datasetVersionId = filter?.datasetVersionId ? parseUuid(filter.datasetVersionId, 'filter.datasetVersionId') : null;
    return this.scope.db((manager) => pageOf(jobListQuery(manager, { statuses, kinds, datasetVersionId }), 'j', args, args.order === 'NEWEST_FIRST' ? 'DESC' : 'ASC'));
  }

  async get(id: string): Promise<Job> {
    assertPermission(this.scope.principal, 'read');
    const jobId = parseUuid(id, 'id');
    const job = await this.scope.db((manager) => findJob(manager, jobId));
    if (!job) throw await jobNotFound(this.scope, 'Job', jobId);
    return job;
  }

  submitTraining(args: SubmitTrainingArgs): Promise<Job> {
    return this.submit('TRAIN', (resolver) => resolver.training(args));
  }

  submitBatchInference(args: SubmitBatchInferenceArgs): Promise<Job> {
    return this.submit('BATCH_INFERENCE', (resolver) => resolver.batchInference(args));
  }

  submitProfile(args: SubmitProfileArgs): Promise<Job> {
    return this.submit('PROFILE', (resolver) => resolver.profile(args));
  }

  async cancel(id: string): Promise<Job> {
    assertPermission(this.scope.principal, 'write');
    const jobId = parseUuid(id, 'id');
    const { job, outcome } = await this.scope.transaction(async (manager) => {
      const current = await this.lockJob(manager, jobId);
      const result = await requestCancel(manager, jobId);
      if (result === 'final') throw errors.conflict(`The job is already ${current.status}.`, { field: 'id', status: current.status });
      await recordAuditEvent(manager, this.scope.principal, {
        action: 'job.cancel',
        targetType: 'Job',
        targetId: jobId,
        details: { kind: current.kind, from: current.status, outcome: result },
      });
      return { job: (await findJob(manager, jobId))!, outcome: result };
    });
    // A queued entry is removed now; if a worker took it meanwhile, its claim sees the cancellation.
    if (outcome === 'cancelled') await this.deps.queues.remove(this.scope.tenant.id, jobId, job.submission).catch(() => false);
    await this.publish(job);
    return job;
  }

  async retry(id: string): Promise<Job> {
    assertPermission(this.scope.principal, 'write');
    const jobId = parseUuid(id, 'id');
    // A retry is a new run: refused like a submission once the job-time budget is used up.
    await this.deps.budgets.assertWithin(this.scope.tenant.id, ['jobWorkerMs']);
    const job = await this.withQueueErrors(() =>
      this.scope.transaction(async (manager) => {
        const current = await this.lockJob(manager, jobId);
        if (current.status !== 'FAILED' && current.status !== 'CANCELLED') {
          throw errors.conflict(`Only FAILED or CANCELLED jobs can be retried; this one is ${current.status}.`, { field: 'id', status: current.status });
        }
        await this.checkQueueQuota(manager);
        // The new submission's runs act for whoever retried it, recorded now, as the submit does.
        await resubmitJob(manager, jobId, runAsOf(this.scope.principal));
        const next = (await findJob(manager, jobId))!;
        await recordAuditEvent(manager, this.scope.principal, {
          action: 'job.retry',
          targetType: 'Job',
          targetId: jobId,
          details: { kind: next.kind, from: current.status, submission: next.submission },
        });
        await this.deps.queues.enqueue(this.scope.tenant, this.message(next));
        return next;
      }),
    );
    await this.followTierChange();
    await this.publish(job);
    return job;
  }

  private async submit(kind: JobKind, resolve: (resolver: JobInputResolver) => Promise<JobInput>): Promise<Job> {
    assertPermission(this.scope.principal, 'write');
    // Before anything is read or written: a tenant past its job-time budget gets no new jobs.
    await this.deps.budgets.assertWithin(this.scope.tenant.id, ['jobWorkerMs']);
    const input = await this.scope.db((manager) => resolve(new JobInputResolver(this.scope, manager, this.deps.catalog)));
    const now = new Date();
    const job: Job = {
      id: randomUUID(),
      kind,
      status: 'QUEUED',
      input: input as unknown as Record<string, unknown>,
      progress: 0,
      phase: 'queued',
      metrics: null,
      lossHistory: null,
      result: null,
      resultKeyVersion: null,
      error: null,
      attempts: 0,
      cancelRequested: false,
      submission: 1,
      runToken: null,
      startSeq: null,
      queuedAt: now,
      startedAt: null,
      finishedAt: null,
      createdBy: this.scope.principal.subject,
      // The worker runs the job as this principal; the queue entry names only the row.
      ...runAsOf(this.scope.principal),
      createdAt: now,
      updatedAt: now,
    };
    await this.withQueueErrors(() =>
      this.scope.transaction(async (manager) => {
        await this.checkQueueQuota(manager);
        // The JSON columns are plain objects; TypeORM's deep-partial type cannot see that.
        await manager.getRepository(JobEntity).insert(job as QueryDeepPartialEntity<Job>);
        await recordResourceOwner(manager, this.scope.tenant.id, 'Job', job.id);
        await recordAuditEvent(manager, this.scope.principal, {
          action: 'job.submit',
          targetType: 'Job',
          targetId: job.id,
          details: { kind, datasetVersionId: input.datasetVersionId },
        });
        // Queued inside the transaction: if Redis refuses, nothing is written either. A worker that
        // sees the entry before the commit waits for the row (see the worker's claim).
        await this.deps.queues.enqueue(this.scope.tenant, this.message(job));
      }),
    );
    await this.followTierChange();
    await this.publish(job);
    return job;
  }

  /**
   * Unfinished jobs (queued + running) against the tenant's queue limit. The tenant's submit guard
   * row is locked first, so two submits racing for the last slot take turns instead of both getting it.
   * The count is the quotas module's, the same one tenantUsage reports as `maxQueuedJobs`.
   */
  private async checkQueueQuota(manager: EntityManager): Promise<void> {
    const limit = this.scope.tenant.limits.maxQueuedJobs;
    await manager.query('SELECT id FROM job_submit_guard WHERE id = 1 FOR UPDATE');
    const unfinished = await countUnfinishedJobs(manager, this.scope.tenant.id);
    if (unfinished >= limit) {
      throw errors.quotaExceeded(`Your tenant has ${unfinished} unfinished jobs; the limit is ${limit}. Wait for some to finish or cancel some.`, {
        limit: 'maxQueuedJobs',
        unfinishedJobs: unfinished,
        maxQueuedJobs: limit,
      });
    }
  }

  private async lockJob(manager: EntityManager, jobId: string): Promise<Job> {
    const job = await manager.getRepository(JobEntity).createQueryBuilder('j').setLock('pessimistic_write').where('j.id = :id', { id: jobId }).getOne();
    if (!job) throw await jobNotFound(this.scope, 'Job', jobId);
    return job;
  }

  /**
   * The entry went to the ring of the pool the scope's tenant record names. A tier (or region)
   * committed since — whose announced move may have run before this add — is followed here, from
   * the control plane itself, so the tenant is not left in a ring whose workers skip it until the
   * next reconciliation. A change committed after this read is announced, and moved, after it.
   */
  private async followTierChange(): Promise<void> {
    const routed = this.scope.tenant;
    const current = await this.deps.tenants?.find(routed.id);
    if (!current || current.status === 'PROVISIONING' || (current.tier === routed.tier && current.region === routed.region)) return;
    await this.deps.queues.place(current);
  }

  private message(job: Job): JobMessage {
    return { tenantId: this.scope.tenant.id, jobId: job.id, submission: job.submission, trace: injectTraceHeaders({}) };
  }

  /** Redis unreachable (or refusing) while queueing: the transaction rolled back; say so plainly. */
  private async withQueueErrors<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isTesseraError(error)) throw error;
      if (isRedisError(error)) {
        this.deps.logger.warn('job queue unavailable', { error: error instanceof Error ? error.message : String(error) });
        throw errors.unavailable('The job queue is not reachable right now; nothing was submitted. Retry later.');
      }
      throw error;
    }
  }

  private async publish(job: Job): Promise<void> {
    await this.deps.events.publish(this.scope.tenant.id, 'jobs', toJobEvent(job)).catch((error: unknown) => {
      this.deps.logger.warn('job event not published', { jobId: job.id, error: error instanceof Error ? error.message : String(error) });
    });
  }
}

function isRedisError(error: unknown): boolean {
  const e = error as { name?: string; code?: string; message?: string } | null;
  if (!e) return false;
  return (
    e.name === 'MaxRetriesPerRequestError' ||
    e.name === 'ReplyError' ||
    e.code === 'ECONNREFUSED' ||
    /Connection is closed|max retries per request|Stream isn't writeable/i.test(e.message ?? '')
  );
}
