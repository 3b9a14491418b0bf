import type { Principal } from '@tessera/auth';
import { isTesseraError } from '@tessera/errors';
import type { ModelsPort } from '@tessera/models/ports';
import type { TenantScope } from '@tessera/tenancy';
import type { Job } from '../data/job.entity';
import type { JobResultValue } from '../data/job-result-seal';

/** What the clearing asks of the models service: whether a version still exists. */
export type ModelVersionLookup = Pick<ModelsPort, 'findVersionForJob'>;

/**
 * A linear or logistic training's result holds the trained weights and bias: the whole model, in
 * the jobs table under the tenant's key. Deleting the model (or the version) destroys the model's
 * key and object, not this copy, so it outlived the delete and was served to every reader of the
 * job. Whenever such a result is read, the models port is asked whether its version still exists;
 * once it is gone the result is cleared from the row and answered as null — never served again.
 * Results without weights (an MLP's: loss and row counts) are not asked about.
 */
export async function trainingUnlessModelDeleted(scope: TenantScope, models: ModelVersionLookup, job: Job, result: JobResultValue | null): Promise<JobResultValue | null> {
  if (job.kind !== 'TRAIN' || result === null) return result;
  if (result['weights'] == null && result['bias'] == null) return result;
  const modelVersionId = result['modelVersionId'];
  if (typeof modelVersionId !== 'string') return result;
  if (!(await versionGone(scope.principal, models, modelVersionId))) return result;
  await scope.db((manager) => manager.query(`UPDATE jobs SET result_json = NULL, result_key_version = NULL WHERE id = ? AND kind = 'TRAIN'`, [job.id]));
  return null;
}

/** NOT_FOUND from the models port: the version (or its model) is deleted or being deleted. Any other failure is thrown. */
async function versionGone(principal: Principal, models: ModelVersionLookup, modelVersionId: string): Promise<boolean> {
  try {
    await models.findVersionForJob(principal, { modelVersionId });
    return false;
  } catch (error) {
    if (!isTesseraError(error) || error.code !== 'NOT_FOUND') throw error;
    return true;
  }
}
