import { randomUUID } from 'node:crypto';
import { recordAuditEvent } from '@tessera/audit-client';
import { countUnfinishedJobs } from '@tessera/quotas';
import { assertPermission, createJobGrantSigner, type JobGrantSigner, type Principal } from '@tessera/auth';
import type { JWK } from 'jose';
import { errors, isErrorCode } from '@tessera/errors';
import type { EventBus } from '@tessera/events';
import { assertReencryptionInput, parseUuid, resealColumn, type PortMethods, type PublishedPort } from '@tessera/service-kit';
import type { TenantScope, TenantScopeFactory } from '@tessera/tenancy';
import type { UsageRecorder } from '@tessera/metering';
import type { EntityManager } from 'typeorm';
import type { Job } from '../data/job.entity';
import { jobResultColumn, sealJobResult } from '../data/job-result-seal';
import { countTrainingJobsByStatus, trainingDurations } from '../data/job-run-stats.repository';
import { toJobEvent } from '../domain/job-event';
import { storablePhase, storableProgress } from '../domain/job-metrics';
import { storableJobResult } from '../domain/job-result-shape';
import { principalOfJob } from '../domain/job-principal';
import { issueJobGrant } from '../domain/job-grant';
import { claimJob, findJob, finishJob, recordProgress, requeueJob } from '../domain/job-state';
import { clearProfilesOfDeletedVersions, profileResultToStore, type DatasetVersionLookup } from '../domain/profile-of-deleted-data';
import { principalRevokedCode, principalStanding, type AccessStandingDirectory, type RoleSource } from '../domain/principal-standing';
import { jobsPortCallers, maxProfileClearVersionIds, type JobsPort, type JobRunError } from './jobs-port';

export interface JobsPortDeps {
  scopes: TenantScopeFactory;
  events: EventBus;
  /** This service's own key (SERVICE_KEY): signs the grants handed to workers with claimed jobs. */
  jobGrantSigningKey: JWK | undefined;
  /**
   * The tenants service's access tables (read on this service's pool) and ROLE_SOURCE: a job runs,
   * and its grant is renewed, only while the principal it acts for still holds access.
   */
  access: { directory: AccessStandingDirectory; roleSource: RoleSource };
  /** The datasets port (as this service calls it): a profile is cleared only for a version it no longer finds. */
  datasets: DatasetVersionLookup;
  /** This service's usage meters: a run's reported time is metered here as the tenant's jobWorkerMs. */
  usage: Pick<UsageRecorder, 'add'>;
}

/** The run time a worker reports with its outcome: absent is none; anything but a finite, non-negative number is refused. */
function reportedWorkerMs(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw errors.badInput('workerMs must be a finite number of milliseconds, 0 or more.', { field: 'workerMs' });
  return value;
}

/**
 * What a run's report may meter: at most the wall time since this run claimed the job (the row's
 * `started_at`, set by the claim with this service's clock). Read in the transaction that ended the
 * run, before it commits, so no later claim has moved it.
 */
async function meterableRunMs(manager: EntityManager, jobId: string, reportedMs: number): Promise<number> {
  if (reportedMs === 0) return 0;
  const job = await findJob(manager, jobId);
  const startedAt = job?.startedAt?.getTime();
  if (startedAt === undefined) return 0;
  return Math.min(reportedMs, Math.max(0, Date.now() - startedAt));
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
  let signer: Promise<JobGrantSigner> | undefined;
  const signGrant: JobGrantSigner = async (grant, lifetimeSeconds) => {
    // Without a key no job can be handed out: a worker would have no authority to read its input.
    if (!deps.jobGrantSigningKey) throw errors.unavailable('The jobs service holds no key to sign job grants (SERVICE_KEY).');
    signer ??= createJobGrantSigner(deps.jobGrantSigningKey);
    return (await signer)(grant, lifetimeSeconds);
  };

  /**
   * Ends the run's job FAILED PRINCIPAL_REVOKED when the principal it acts for no longer holds
   * access (read now, not cached: a revocation holds at the next claim or renewal), with an audit
   * entry and a job event. `moved`: the principal lost its access, but the row was no longer this
   * run's to end (taken over or finished meanwhile).
   */
  const endIfRevoked = async (scope: TenantScope, job: Job, runToken: string): Promise<'current' | 'ended' | 'moved'> => {
    const standing = await principalStanding(deps.access.directory, deps.access.roleSource, job, scope.tenant.id);
    if (standing.current) return 'current';
    const error = { code: principalRevokedCode, message: `The job was stopped: ${standing.reason}. An admin or data scientist may retry it, and it then runs as them.` };
    const ended = await scope.transaction(async (manager) => {
      const done = await finishJob(manager, { jobId: job.id, runToken, status: 'FAILED', sealedResult: { stored: null, keyVersion: null }, error, phase: 'failed' });
      if (done) {
        await recordAuditEvent(manager, principalCheck(scope.tenant.id), {
          action: 'job.principal_revoked',
          targetType: 'Job',
          targetId: job.id,
          details: { kind: job.kind, submission: job.submission, runAsSubject: job.runAsSubject, runAsClient: job.runAsClient, reason: standing.reason, errorCode: principalRevokedCode },
        });
      }
      return done;
    });
    if (!ended) return 'moved';
    await publishRow(scope, job.id);
    return 'ended';
  };

  return {
    async claim(actor, input) {
      const scope = await scopeOf(actor);
      const jobId = parseUuid(input.jobId, 'jobId');
      const runToken = token(input.runToken);
      const claim = await scope.db((manager) => claimJob(manager, { jobId, submission: int(input.submission, 'submission'), runToken, startSeq: int(input.startSeq, 'startSeq') }));
      if (claim.outcome === 'missing' || claim.outcome === 'stale') return { outcome: claim.outcome };
      if (claim.outcome === 'cancelled') {
        await publish(scope, claim.job);
        return { outcome: 'cancelled' };
      }
      // Checked once the row is this run's, so the end is written under the run's token: nothing
      // else can move the job meanwhile, and a job whose principal lost its access never starts.
      const standing = await endIfRevoked(scope, claim.job, runToken);
      if (standing === 'ended') return { outcome: 'revoked' };
      if (standing === 'moved') return { outcome: 'stale' };
      await publish(scope, claim.job);
      const runAs = principalOfJob(claim.job, scope.tenant.id);
      return {
        outcome: 'claimed',
        job: { id: claim.job.id, kind: claim.job.kind, input: claim.job.input as never, attempts: claim.job.attempts },
        runAs: { subject: runAs.subject, roles: runAs.roles, clientId: runAs.clientId ?? null },
        ...(await issueJobGrant(signGrant, claim.job, scope.tenant.id, claim.job.runToken ?? runToken, leaseOf(input.leaseMs))),
      };
    },

    async renewGrant(actor, input) {
      const scope = await scopeOf(actor);
      const jobId = parseUuid(input.jobId, 'jobId');
      const runToken = token(input.runToken);
      const job = await scope.db((manager) => findJob(manager, jobId));
      // Only the run that owns a RUNNING job gets a new grant: a finished, taken-over or stopped
      // run's grant runs out with its lease.
      if (!job || job.status !== 'RUNNING' || job.runToken !== runToken) return { outcome: 'lost' };
      // A running job stops within one renewal of its principal losing access.
      const standing = await endIfRevoked(scope, job, runToken);
      if (standing !== 'current') return { outcome: standing === 'ended' ? 'revoked' : 'lost' };
      return { outcome: 'renewed', ...(await issueJobGrant(signGrant, job, scope.tenant.id, runToken, leaseOf(input.leaseMs))) };
    },

    async progress(actor, input) {
      const scope = await scopeOf(actor);
      const jobId = parseUuid(input.jobId, 'jobId');
      const outcome = await scope.db((manager) =>
        recordProgress(manager, {
          jobId,
          runToken: token(input.runToken),
          progress: storableProgress(input.progress),
          phase: storablePhase(input.phase),
          ...(input.metrics !== undefined && input.metrics !== null ? { metrics: input.metrics } : {}),
          ...(input.lossHistory !== undefined && input.lossHistory !== null ? { lossHistory: input.lossHistory } : {}),
        }),
      );
      if (outcome !== 'lost') await publishRow(scope, jobId);
      return outcome;
    },

    async finish(actor, input) {
      const scope = await scopeOf(actor);
      const jobId = parseUuid(input.jobId, 'jobId');
      if (!['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(input.status)) throw errors.badInput('status must be a final status.', { field: 'status' });
      const phase = input.phase === undefined || input.phase === null ? null : storablePhase(input.phase);
      const reported = storableJobResult(input.result);
      // Sealed in the transaction that stores it, before the row is touched: a key provider outage
      // fails the call (the worker retries), never stores a clear result; a retirement of the key
      // version it took either counts this result or waits for it (the tenant's data-key floor).
      const error = runError(input.error);
      // Asked before the transaction (no row lock held across a call to another service).
      const workerMs = reportedWorkerMs(input.workerMs);
      const result = await profileResultToStore(scope, deps.datasets, jobId, reported);
      let metered = 0;
      const done = await scope.transaction(async (manager) => {
        const sealedResult = await sealJobResult(scope, manager, jobId, result);
        const finished = await finishJob(manager, { jobId, runToken: token(input.runToken), status: input.status, sealedResult, error, phase });
        if (finished) metered = await meterableRunMs(manager, jobId, workerMs);
        // A run the platform stopped (its tenant's run-time bound) is an action taken on the
        // tenant's job, recorded like the reconciler's; a job's own failures are its outcome only.
        if (finished && input.status === 'FAILED' && error?.code === 'JOB_TIME_LIMIT') {
          const job = await findJob(manager, jobId);
          await recordAuditEvent(manager, scope.principal, {
            action: 'job.failed',
            targetType: 'Job',
            targetId: jobId,
            details: { kind: job?.kind ?? null, from: 'RUNNING', to: 'FAILED', submission: job?.submission ?? null, errorCode: error.code },
          });
        }
        return finished;
      });
      if (metered > 0) deps.usage.add(scope.tenant.id, 'jobWorkerMs', metered);
      if (done) await publishRow(scope, jobId);
      return done;
    },

    async requeue(actor, input) {
      const scope = await scopeOf(actor);
      const jobId = parseUuid(input.jobId, 'jobId');
      const workerMs = reportedWorkerMs(input.workerMs);
      const error = runError(input.error) ?? { code: 'SERVICE_UNAVAILABLE', message: 'retrying' };
      const retryInMs = int(input.retryInMs, 'retryInMs');
      let metered = 0;
      const done = await scope.transaction(async (manager) => {
        // Read before the requeue: it keeps started_at, but the next claim sets it anew.
        const meterable = await meterableRunMs(manager, jobId, workerMs);
        const requeued = await requeueJob(manager, { jobId, runToken: token(input.runToken), error, retryInMs });
        if (requeued) metered = meterable;
        return requeued;
      });
      if (metered > 0) deps.usage.add(scope.tenant.id, 'jobWorkerMs', metered);
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
    /** The tenants service's re-encryption: job results re-sealed under the current data key (and legacy clear ones sealed). */
    async reencryptObjects(actor, input) {
      assertPermission(actor, 'administer');
      assertReencryptionInput(input);
      return resealColumn(await scopeOf(actor), jobResultColumn, input);
    },
    /** The datasets service after a delete: the profiles of the deleted versions, in the actor's tenant only. */
    async clearProfileResults(actor, input) {
      // A delete needs `administer`; so does clearing what it leaves behind.
      assertPermission(actor, 'administer');
      const ids = versionIds(input?.datasetVersionIds);
      return { cleared: await clearProfilesOfDeletedVersions(await scopeOf(actor), deps.datasets, ids) };
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

/** The jobs service ending a job whose principal lost its access: the platform, with no role. */
function principalCheck(tenantId: string): Principal {
  return { kind: 'user', subject: 'system:job-principal-check', tenantId, roles: [], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
}

function versionIds(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > maxProfileClearVersionIds) {
    throw errors.badInput(`datasetVersionIds must be a list of at most ${maxProfileClearVersionIds} ids.`, { field: 'datasetVersionIds' });
  }
  return [...new Set(value.map((id: unknown) => parseUuid(id as string, 'datasetVersionIds')))];
}

function int(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw errors.badInput(`${field} must be a non-negative integer.`, { field });
  return value;
}

function leaseOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
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

/**
 * The error a run reports, as the job will show it. Clients read `error.code` as a code of the
 * registry (packages/errors), so a code outside it is stored as INTERNAL_SERVER_ERROR with the
 * generic sentence, not with the message it came with (a driver's or socket's text names tables and
 * addresses), as the gateway masks an unregistered code.
 */
function runError(value: JobRunError | null | undefined): JobRunError | null {
  if (!value) return null;
  if (typeof value !== 'object' || typeof value.code !== 'string' || typeof value.message !== 'string') throw errors.badInput('error must be an object with a code and a message.', { field: 'error' });
  const code = value.code;
  if (!isErrorCode(code)) return { code: 'INTERNAL_SERVER_ERROR', message: unexpectedRunError };
  return { code, message: value.message.slice(0, 2000) };
}

const unexpectedRunError = 'The job failed unexpectedly; the operator logs have the details under this job id.';
