import { countUnfinishedJobs } from '@tessera/quotas';
import type { Principal } from '@tessera/auth';
import { errors } from '@tessera/errors';
import type { EventBus } from '@tessera/events';
import { parseUuid, type PortMethods, type PublishedPort } from '@tessera/service-kit';
import type { TenantScope, TenantScopeFactory } from '@tessera/tenancy';
import type { Job } from '../data/job.entity';
import { countTrainingJobsByStatus, trainingDurations } from '../data/job-run-stats.repository';
import { toJobEvent } from '../domain/job-event';
import { principalOfJob } from '../domain/job-principal';
import { claimJob, findJob, finishJob, recordProgress, requeueJob } from '../domain/job-state';
import { jobsPortCallers, type JobsPort, type JobRunError } from './jobs-port';

export interface JobsPortDeps {
  scopes: TenantScopeFactory;
  events: EventBus;
}

/**
 * The jobs port over the jobs service's own table. It also publishes every state change on the
 * tenant's 'jobs' topic, so a worker needs no right to publish on anyone's channel.
 */
export function createJobsPort(deps: JobsPortDeps): JobsPort {
  const scopeOf = (actor: Principal) => deps.scopes.forPrincipal(actor);
  const publish = async (scope: TenantScope, job: Job | null) => {
    if (job) await deps.events.publish(scope.tenant.id, 'jobs', toJobEvent(job)).catch(() => undefined);
  };
  const publishRow = async (scope: TenantScope, jobId: string) => publish(scope, await scope.db((manager) => findJob(manager, jobId)).catch(() => null));

  return {
    async claim(actor, input) {
      const scope = await scopeOf(actor);
      const jobId = parseUuid(input.jobId, 'jobId');
      const claim = await scope.db((manager) => claimJob(manager, { jobId, submission: int(input.submission, 'submission'), runToken: token(input.runToken), startSeq: int(input.startSeq, 'startSeq') }));
      if (claim.outcome === 'missing' || claim.outcome === 'stale') return { outcome: claim.outcome };
      await publish(scope, claim.job);
      if (claim.outcome === 'cancelled') return { outcome: 'cancelled' };
      const runAs = principalOfJob(claim.job, scope.tenant.id);
      return {
        outcome: 'claimed',
        job: { id: claim.job.id, kind: claim.job.kind, input: claim.job.input as never, attempts: claim.job.attempts },
        runAs: { subject: runAs.subject, roles: runAs.roles, clientId: runAs.clientId ?? null },
      };
    },

    async progress(actor, input) {
      const scope = await scopeOf(actor);
      const jobId = parseUuid(input.jobId, 'jobId');
      const outcome = await scope.db((manager) =>
        recordProgress(manager, {
          jobId,
          runToken: token(input.runToken),
          progress: Number(input.progress),
          phase: String(input.phase),
          ...(input.metrics ? { metrics: input.metrics } : {}),
          ...(input.lossHistory ? { lossHistory: input.lossHistory } : {}),
        }),
      );
      if (outcome !== 'lost') await publishRow(scope, jobId);
      return outcome;
    },

    async finish(actor, input) {
      const scope = await scopeOf(actor);
      const jobId = parseUuid(input.jobId, 'jobId');
      if (!['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(input.status)) throw errors.badInput('status must be a final status.', { field: 'status' });
      const done = await scope.db((manager) =>
        finishJob(manager, { jobId, runToken: token(input.runToken), status: input.status, result: input.result ?? null, error: runError(input.error), phase: input.phase ?? null }),
      );
      if (done) await publishRow(scope, jobId);
      return done;
    },

    async requeue(actor, input) {
      const scope = await scopeOf(actor);
      const jobId = parseUuid(input.jobId, 'jobId');
      const done = await scope.db((manager) => requeueJob(manager, { jobId, runToken: token(input.runToken), error: runError(input.error) ?? { code: 'SERVICE_UNAVAILABLE', message: 'retrying' }, retryInMs: int(input.retryInMs, 'retryInMs') }));
      if (done) await publishRow(scope, jobId);
      return done;
    },

    async trainingJobStats(actor, input) {
      const scope = await scopeOf(actor);
      const from = date(input.from, 'from');
      const to = date(input.to, 'to');
      const quantiles = Array.isArray(input.quantiles) ? input.quantiles.map(Number).filter((q) => q > 0 && q <= 1).slice(0, 8) : [];
      return scope.db(async (manager) => {
        const byStatus = await countTrainingJobsByStatus(manager, from, to);
        return { byStatus: [...byStatus].map(([status, jobs]) => ({ status, jobs })), succeeded: await trainingDurations(manager, from, to, quantiles) };
      });
    },

    async jobCount(actor) {
      const scope = await scopeOf(actor);
      const rows = (await scope.db((manager) => manager.query('SELECT COUNT(*) AS n FROM jobs'))) as Array<{ n: number | string }>;
      return Number(rows[0]?.n ?? 0);
    },
    async unfinishedJobCount(actor) {
      const scope = await scopeOf(actor);
      // The same count the submit check holds the tenant to.
      return scope.db((manager) => countUnfinishedJobs(manager, scope.tenant.id));
    },
  };
}

/** The jobs port as this service publishes it to other processes. */
export function publishedJobsPort(port: JobsPort): PublishedPort<JobsPort> {
  return { name: 'jobs', implementation: port as PortMethods<JobsPort>, callers: jobsPortCallers };
}

function int(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw errors.badInput(`${field} must be a non-negative integer.`, { field });
  return value;
}

function token(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw errors.badInput('runToken is required.', { field: 'runToken' });
  return value;
}

function date(value: unknown, field: string): Date {
  const parsed = typeof value === 'string' ? new Date(value) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime())) throw errors.badInput(`${field} must be an ISO date.`, { field });
  return parsed;
}

function runError(value: JobRunError | null | undefined): JobRunError | null {
  if (!value) return null;
  return { code: String(value.code).slice(0, 64), message: String(value.message).slice(0, 2000) };
}
