import { tenantRoles, type Principal, type Role, type TenantRole } from '@tessera/auth';
import type { Job } from '../data/job.entity';

/** The columns of a job row that record who its runs act for. */
export type JobRunAs = Pick<Job, 'runAsSubject' | 'runAsRoles' | 'runAsClient'>;

/** What a submit or a retry records on the row: the principal the gateway verified for that request. */
export function runAsOf(principal: Principal): JobRunAs {
  return { runAsSubject: principal.subject, runAsRoles: principal.roles.join(','), runAsClient: principal.clientId ?? null };
}

/**
 * Rows without a recorded principal (submitted before it was recorded) run as their creator with
 * the least role a job needs: processors write (model versions, dataset versions), nothing more.
 */
const unrecordedRoles: readonly TenantRole[] = ['data_scientist'];

/**
 * The principal a run of `job` acts as, from the job row alone (the queue entry only says which
 * row): the permission checks and audit events of the run's writes see this principal. Only tenant
 * roles count; a run never holds more than the tenant role its submitter held.
 */
export function principalOfJob(job: Job, tenantId: string): Principal {
  const recorded = job.runAsSubject !== null;
  return {
    kind: 'user',
    subject: job.runAsSubject ?? job.createdBy,
    tenantId,
    roles: recorded ? parseTenantRoles(job.runAsRoles) : [...unrecordedRoles],
    clientId: recorded ? (job.runAsClient ?? undefined) : undefined,
    requestId: `job-${job.id}-${job.submission}`,
    sourceIp: undefined,
  };
}

function parseTenantRoles(value: string | null): Role[] {
  const known: readonly string[] = tenantRoles;
  return [...new Set((value ?? '').split(',').filter((role): role is TenantRole => known.includes(role)))];
}
