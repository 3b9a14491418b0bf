import type { Principal } from '@tessera/auth';
import type { DatasetsPort } from '@tessera/datasets/ports';
import { isTesseraError } from '@tessera/errors';
import type { TenantScope } from '@tessera/tenancy';
import type { Job } from '../data/job.entity';
import type { JobResultValue } from '../data/job-result-seal';
import type { JobCatalog } from './job-input-resolver';
import { principalOfJob } from './job-principal';
import { findJob } from './job-state';

/** What the profile clearing asks of the datasets service: whether a version still exists. */
export type DatasetVersionLookup = Pick<DatasetsPort, 'findVersionForJob'>;

/**
 * A profile's result holds values of its dataset version (each column's top values, minimum and
 * maximum: for a small dataset, most of its cells). Deleting the dataset destroys the dataset's key,
 * but this copy is sealed under the tenant's key in the jobs table, so it would outlive the data.
 * The datasets service clears it at the delete (`clearProfilesOfDeletedVersions`, through the jobs
 * port), and a profile still running then stores no result once it finishes (`profileResultToStore`);
 * this read-time check is the backstop for a clearing that did not happen (the jobs service
 * unreachable at the delete, or a run that finished just as the delete committed): whenever
 * such a result is read, the datasets port is asked whether the version still exists, and once it is
 * gone the result is cleared from the row and answered as null — never served again.
 */
export async function profileUnlessDataDeleted(scope: TenantScope, catalog: JobCatalog, job: Job, result: JobResultValue | null): Promise<JobResultValue | null> {
  if (job.kind !== 'PROFILE' || result === null) return result;
  const datasetVersionId = job.input['datasetVersionId'];
  if (typeof datasetVersionId !== 'string') return result;
  if (!(await versionGone(scope.principal, catalog.datasets, datasetVersionId))) return result;
  await scope.db((manager) => manager.query(`UPDATE jobs SET result_json = NULL, result_key_version = NULL WHERE id = ? AND kind = 'PROFILE'`, [job.id]));
  return null;
}

/**
 * The result a finishing run may store: a profile's, only while its version still exists. A profile
 * whose dataset was deleted while it ran (after the delete's clearing) stores no values of it. The
 * datasets port unreachable: the result is stored, and the read-time check still applies.
 */
export async function profileResultToStore(scope: TenantScope, datasets: DatasetVersionLookup, jobId: string, result: Record<string, unknown> | null): Promise<Record<string, unknown> | null> {
  if (result === null) return null;
  const job = await scope.db((manager) => findJob(manager, jobId));
  if (job?.kind !== 'PROFILE') return result;
  const datasetVersionId = job.input['datasetVersionId'];
  if (typeof datasetVersionId !== 'string') return result;
  try {
    // Asked as the principal the run acts for (the worker's own actor holds no role to read with).
    return (await versionGone(principalOfJob(job, scope.tenant.id), datasets, datasetVersionId)) ? null : result;
  } catch {
    return result;
  }
}

/**
 * Clears the stored results of the scope's profile jobs over the given dataset versions, each only
 * once the datasets port confirms the version gone: the datasets service's call after a delete can
 * then take away nothing the read-time check would not, whoever makes it. Versions without a stored
 * profile cost no datasets call. → how many job rows were cleared.
 */
export async function clearProfilesOfDeletedVersions(scope: TenantScope, datasets: DatasetVersionLookup, datasetVersionIds: readonly string[]): Promise<number> {
  if (datasetVersionIds.length === 0) return 0;
  const rows = (await scope.db((manager) =>
    manager.query(`SELECT DISTINCT dataset_version_id AS id FROM jobs WHERE dataset_version_id IN (?) AND kind = 'PROFILE' AND result_json IS NOT NULL`, [datasetVersionIds]),
  )) as Array<{ id: string }>;
  let cleared = 0;
  for (const { id } of rows) {
    if (!(await versionGone(scope.principal, datasets, id))) continue;
    const result = (await scope.db((manager) =>
      manager.query(`UPDATE jobs SET result_json = NULL, result_key_version = NULL WHERE dataset_version_id = ? AND kind = 'PROFILE' AND result_json IS NOT NULL`, [id]),
    )) as { affectedRows?: number } | null;
    cleared += result?.affectedRows ?? 0;
  }
  return cleared;
}

/** NOT_FOUND from the datasets port: the version (or its dataset) is deleted or being deleted. Any other failure is thrown. */
async function versionGone(principal: Principal, datasets: DatasetVersionLookup, datasetVersionId: string): Promise<boolean> {
  try {
    await datasets.findVersionForJob(principal, { datasetVersionId });
    return false;
  } catch (error) {
    if (!isTesseraError(error) || error.code !== 'NOT_FOUND') throw error;
    return true;
  }
}
