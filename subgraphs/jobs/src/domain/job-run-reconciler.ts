import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Principal } from '@tessera/auth';
import { recordAuditEvent } from '@tessera/audit-client';
import type { Logger } from '@tessera/config';
import type { EventBus } from '@tessera/events';
import { queueJobId, type JobQueues } from '@tessera/job-queue';
import { advisoryLockName, withAdvisoryLock, type TenantScope, type TenantScopeFactory, type TenantStore } from '@tessera/tenancy';
import { injectTraceHeaders } from '@tessera/telemetry';
import { JobEntity, type Job } from '../data/job.entity';
import { toJobEvent } from './job-event';
import { findJob, runLostError } from './job-state';

export interface JobRunReconcilerOptions {
  /** How often each tenant's unfinished rows are looked at (0: never). */
  intervalMs: number;
  /**
   * A row is looked at only once it has not changed for this long: longer than a worker takes to
   * move a queue entry after writing the row (and than its lock, WORKER_LOCK_MS).
   */
  graceMs: number;
}

export const defaultJobRunReconcilerOptions: JobRunReconcilerOptions = { intervalMs: 60_000, graceMs: 120_000 };

export interface JobRunReconcilerDeps {
  db: DataSource;
  scopes: TenantScopeFactory;
  tenants: Pick<TenantStore, 'listPlacements'>;
  queues: JobQueues;
  events: EventBus;
  logger: Logger;
  options: JobRunReconcilerOptions;
}

/** Queue entry states after which BullMQ hands the entry to no worker again. */
const deadEntryStates = new Set(['completed', 'failed', 'unknown']);

/** Rows looked at per tenant and pass; the next pass takes the rest. */
const rowsPerPass = 500;

export interface ReconcileOutcome {
  /** RUNNING rows no run holds any more, ended FAILED (RUN_LOST). */
  failed: string[];
  /** QUEUED rows whose entry was gone, queued again. */
  requeued: string[];
  /** Tenants whose queue was routed again to the pool of their current tier (a tier change whose announcement was not acted on). */
  placed: string[];
}

/**
 * A job row is moved only by the run whose queue entry a worker holds. When that entry ends
 * without the row being told (the jobs service unreachable when the worker recorded the outcome,
 * the tenant suspended between claim and start, Redis losing the entry), the row would stay
 * RUNNING (or QUEUED) for ever and count against the tenant's queue limit. Every `intervalMs` each
 * jobs-service process looks at each active tenant's unfinished rows that have not changed for
 * `graceMs`, and asks BullMQ for the state of the entry of the row's submission:
 * - waiting, delayed or active (locked, or stalled and about to be taken back): a run is or will be
 *   behind it; the row is left alone, however long the job runs;
 * - completed, failed or gone: nothing will run it. A RUNNING row ends FAILED `RUN_LOST` (its
 *   run's token is named, so a run that still holds it is never overtaken); a QUEUED row has not
 *   run and is queued again.
 * Before that, each tenant's queue is routed to the ring of its current tier's pool (JobQueues.place).
 * Each change is made under the row's lock with the entry's state asked again, audited
 * (`job.reconcile`, as `system:job-reconciler`) and published on the tenant's 'jobs' topic like
 * any other. Replicas take each tenant in turn under an advisory lock; the guarded writes alone
 * already make a second replica's pass change nothing.
 */
export class JobRunReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly deps: JobRunReconcilerDeps) {}

  start(): void {
    if (this.timer || this.stopped || this.deps.options.intervalMs <= 0) return;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass over every active tenant. */
  async runOnce(): Promise<ReconcileOutcome> {
    const outcome: ReconcileOutcome = { failed: [], requeued: [], placed: [] };
    for (const tenant of await this.deps.tenants.listPlacements()) {
      if (this.stopped) break;
      if (tenant.status === 'PROVISIONING') continue;
      // Each pass also routes every tenant's queue to the pool of its current tier: a tier change
      // is announced once, and a jobs process that missed it (or died acting on it) would leave the
      // tenant's queued jobs in the ring of a pool that no longer serves it.
      try {
        const placed = await this.deps.queues.place(tenant);
        if (placed.queued) outcome.placed.push(tenant.id);
      } catch (error) {
        if (!this.stopped) this.deps.logger.debug("job reconciliation could not route a tenant's queue", { tenantId: tenant.id, error: error instanceof Error ? error.message : String(error) });
      }
      // A suspended tenant's rows are looked at once it is active again (its scope is refused meanwhile).
      if (tenant.status !== 'ACTIVE') continue;
      try {
        const done = await withAdvisoryLock(this.deps.db, advisoryLockName('job_reconcile', tenant.id), { waitSeconds: 0, busyMessage: 'another replica is reconciling this tenant', tenantId: tenant.id }, () =>
          this.runForTenant(tenant.id),
        );
        outcome.failed.push(...done.failed);
        outcome.requeued.push(...done.requeued);
      } catch (error) {
        // Another replica has the tenant, or the tenant is suspended since, or an outage: the next pass takes it again.
        if (!this.stopped) this.deps.logger.debug('job reconciliation skipped a tenant', { tenantId: tenant.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return outcome;
  }

  /** One tenant's unfinished rows older than the grace time. */
  async runForTenant(tenantId: string): Promise<ReconcileOutcome> {
    const scope = await this.deps.scopes.forPrincipal(reconcilerPrincipal(tenantId));
    const cutoff = new Date(Date.now() - this.deps.options.graceMs);
    const rows = (await scope.db((manager) =>
      manager.query(`SELECT id FROM jobs WHERE status IN ('QUEUED', 'RUNNING') AND updated_at < ? ORDER BY updated_at LIMIT ${rowsPerPass}`, [cutoff]),
    )) as Array<{ id: string }>;
    const outcome: ReconcileOutcome = { failed: [], requeued: [], placed: [] };
    for (const { id } of rows) {
      if (this.stopped) break;
      const changed = await this.reconcile(scope, id, cutoff);
      if (changed === 'failed') outcome.failed.push(id);
      if (changed === 'requeued') outcome.requeued.push(id);
    }
    return outcome;
  }

  private async reconcile(scope: TenantScope, jobId: string, cutoff: Date): Promise<'failed' | 'requeued' | undefined> {
    const queue = this.deps.queues.queueFor(scope.tenant.id);
    const entryState = async (job: Job) => String(await queue.getJobState(queueJobId(job.id, job.submission)));
    const seen = await scope.db((manager) => findJob(manager, jobId));
    // Asked first without a lock: a live entry (nearly every row) costs no row lock.
    if (!seen || !isStale(seen, cutoff) || !deadEntryStates.has(await entryState(seen))) return undefined;
    const result = await scope.transaction(async (manager) => {
      const job = await manager.getRepository(JobEntity).createQueryBuilder('j').setLock('pessimistic_write').where('j.id = :id', { id: jobId }).getOne();
      // Under the row's lock nobody else moves it: asked again, the entry still has no run behind it.
      if (!job || !isStale(job, cutoff)) return undefined;
      const state = await entryState(job);
      if (!deadEntryStates.has(state)) return undefined;
      const now = new Date();
      if (job.status === 'RUNNING') {
        await manager.query(
          `UPDATE jobs FORCE INDEX (PRIMARY) SET status = 'FAILED', error_json = ?, phase = 'failed', run_token = NULL, finished_at = ?, updated_at = ?
            WHERE id = ? AND submission = ? AND status = 'RUNNING' AND run_token <=> ?`,
          [JSON.stringify(runLostError), now, now, job.id, job.submission, job.runToken],
        );
        await recordAuditEvent(manager, scope.principal, {
          action: 'job.reconcile',
          targetType: 'Job',
          targetId: job.id,
          details: { kind: job.kind, from: 'RUNNING', to: 'FAILED', submission: job.submission, queueEntry: state, errorCode: runLostError.code },
        });
        return { change: 'failed' as const, job: (await findJob(manager, job.id))! };
      }
      // QUEUED and nothing will take it: nothing ran, so it is queued again (the ended entry
      // holds its id: it goes first). Inside the transaction: if Redis refuses, the row is untouched.
      if (state !== 'unknown') await queue.remove(queueJobId(job.id, job.submission));
      await manager.query(`UPDATE jobs FORCE INDEX (PRIMARY) SET queued_at = ?, updated_at = ? WHERE id = ? AND submission = ? AND status = 'QUEUED'`, [now, now, job.id, job.submission]);
      await recordAuditEvent(manager, scope.principal, {
        action: 'job.reconcile',
        targetType: 'Job',
        targetId: job.id,
        details: { kind: job.kind, from: 'QUEUED', to: 'QUEUED', submission: job.submission, queueEntry: state },
      });
      await this.deps.queues.enqueue(scope.tenant, { tenantId: scope.tenant.id, jobId: job.id, submission: job.submission, trace: injectTraceHeaders({}) });
      return { change: 'requeued' as const, job: (await findJob(manager, job.id))! };
    });
    if (!result) return undefined;
    this.deps.logger.warn(result.change === 'failed' ? 'job ended: no run held it any more' : 'job queued again: its queue entry had ended', {
      tenantId: scope.tenant.id,
      jobId,
    });
    await this.deps.events.publish(scope.tenant.id, 'jobs', toJobEvent(result.job)).catch(() => undefined);
    return result.change;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((error: unknown) => this.deps.logger.warn('job reconciliation pass failed', { error: error instanceof Error ? error.message : String(error) }))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.schedule();
        });
    }, this.deps.options.intervalMs);
    this.timer.unref();
  }
}

function isStale(job: Job, cutoff: Date): boolean {
  return (job.status === 'RUNNING' || job.status === 'QUEUED') && job.updatedAt.getTime() < cutoff.getTime();
}

/** The reconciler acts for the tenant as the platform, with no role (it checks none). */
function reconcilerPrincipal(tenantId: string): Principal {
  return { kind: 'user', subject: 'system:job-reconciler', tenantId, roles: [], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
}
