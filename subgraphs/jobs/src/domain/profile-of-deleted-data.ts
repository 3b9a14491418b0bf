import { isTesseraError } from '@tessera/errors';
import type { TenantScope } from '@tessera/tenancy';
import type { Job } from '../data/job.entity';
import type { JobResultValue } from '../data/job-result-seal';
import type { JobCatalog } from './job-input-resolver';

/**
 * A profile's result holds values of its dataset version (each column's top values, minimum and
 * maximum: for a small dataset, most of its cells). Deleting the dataset destroys the dataset's key,
 * but this copy is sealed under the tenant's key in the jobs table, so it would outlive the data.
 * The jobs service asks the datasets port whether the version still exists whenever such a result
 * is read: once it is gone, the result is cleared from the row and answered as null — never served
 * again. (A profile still running when its dataset is deleted finishes, and is cleared the same way.)
 */
export async function profileUnlessDataDeleted(scope: TenantScope, catalog: JobCatalog, job: Job, result: JobResultValue | null): Promise<JobResultValue | null> {
  if (job.kind !== 'PROFILE' || result === null) return result;
  const datasetVersionId = job.input['datasetVersionId'];
  if (typeof datasetVersionId !== 'string') return result;
  try {
    await catalog.datasets.findVersionForJob(scope.principal, { datasetVersionId });
    return result;
  } catch (error) {
    if (!isTesseraError(error) || error.code !== 'NOT_FOUND') throw error;
  }
  await scope.db((manager) => manager.query(`UPDATE jobs SET result_json = NULL, result_key_version = NULL WHERE id = ? AND kind = 'PROFILE'`, [job.id]));
  return null;
}
