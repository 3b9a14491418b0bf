import type { JobGrant, JobGrantResources, JobGrantSigner, JobGrantToken } from '@tessera/auth';
import type { Job } from '../data/job.entity';
import type { JobInput } from './job-input';
import { principalOfJob } from './job-principal';

/** The lease a worker asks for when it names none (its default lock duration). */
const defaultLeaseMs = 30_000;

/**
 * A grant lives two leases (the worker renews it with its lock, so it outlives a missed renewal
 * but not a dead worker by much), never less than 10 s nor more than 15 min.
 */
export function grantLifetimeSeconds(leaseMs: number | undefined): number {
  const lease = typeof leaseMs === 'number' && Number.isFinite(leaseMs) && leaseMs > 0 ? leaseMs : defaultLeaseMs;
  return Math.min(15 * 60, Math.max(10, Math.ceil((2 * lease) / 1000)));
}

/** Exactly what a job of this input may touch: its input version(s), and where its output goes. */
export function jobGrantResources(input: JobInput): JobGrantResources {
  switch (input.kind) {
    case 'TRAIN':
      return { datasetVersionIds: [input.datasetVersionId], modelVersionIds: [], outputDatasetName: null, trainedModelName: input.modelName };
    case 'BATCH_INFERENCE':
      return { datasetVersionIds: [input.datasetVersionId], modelVersionIds: [input.modelVersionId], outputDatasetName: input.outputDatasetName, trainedModelName: null };
    case 'PROFILE':
      return { datasetVersionIds: [input.datasetVersionId], modelVersionIds: [], outputDatasetName: null, trainedModelName: null };
  }
}

/** The grant of one run of `job` (RUNNING under `runToken`), acting as the principal its row records. */
export async function issueJobGrant(
  sign: JobGrantSigner,
  job: Job,
  tenantId: string,
  runToken: string,
  leaseMs: number | undefined,
): Promise<{ grant: JobGrantToken; grantExpiresAt: string }> {
  const principal = principalOfJob(job, tenantId);
  const grant: Omit<JobGrant, 'expiresAt'> = {
    tenantId,
    jobId: job.id,
    runToken,
    subject: principal.subject,
    roles: principal.roles,
    clientId: principal.clientId,
    requestId: principal.requestId,
    resources: jobGrantResources(job.input as unknown as JobInput),
  };
  const signed = await sign(grant, grantLifetimeSeconds(leaseMs));
  return { grant: signed.token, grantExpiresAt: signed.expiresAt.toISOString() };
}
