import { assertGranted, assertPermission, grantedOutputName, type JobGrantVerifier } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { grantEntry, parseUuid, type GrantPortMethods, type PublishedGrantPort } from '@tessera/service-kit';
import type { TenantScopeFactory } from '@tessera/tenancy';
import { ModelRegistry } from '../domain/model-registry.service';
import { modelJobPortCallers, modelJobPortName, type ModelJobPort } from './model-job-port';
import type { ModelsPort } from './models-port';
import { modelKeys } from '../data/model-keys';

export interface ModelJobPortDeps {
  scopes: TenantScopeFactory;
  /** Verifies grants against the jobs service's public key. */
  verifyGrant: JobGrantVerifier;
  /** The actor port: a granted version is looked up exactly as the jobs service's submit check does. */
  catalog: Pick<ModelsPort, 'findVersionForJob'>;
}

/** The models service's port for running jobs: the grant first, then only what it lists. */
export function createModelJobPort(deps: ModelJobPortDeps): ModelJobPort {
  const enter = grantEntry(deps.scopes, deps.verifyGrant);

  return {
    async openVersionContent(token, input) {
      const { grant, scope } = await enter(token);
      const id = parseUuid(input.modelVersionId, 'modelVersionId');
      assertGranted(grant, 'modelVersion', id);
      assertPermission(scope.principal, 'read');
      const version = await deps.catalog.findVersionForJob(scope.principal, { modelVersionId: id });
      return { version, content: await scope.bucket.openForReading(version.objectKey, modelKeys(scope).resolver(version.modelId)) };
    },

    async registerTrainedVersion(token, input) {
      const { grant, scope } = await enter(token);
      const modelName = grantedOutputName(grant, 'trainedModel');
      const datasetVersionId = parseUuid(input.datasetVersionId, 'datasetVersionId');
      assertGranted(grant, 'datasetVersion', datasetVersionId);
      if (typeof input.onnxBase64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(input.onnxBase64)) throw errors.badInput('onnxBase64 must be base64.', { field: 'onnxBase64' });
      const registered = await new ModelRegistry(scope).registerVersion({
        modelName,
        onnx: new Uint8Array(Buffer.from(input.onnxBase64, 'base64')),
        lineage: { datasetVersionId, jobId: grant.jobId },
        idempotencyKey: grant.jobId,
      });
      return { modelId: registered.model.id, modelVersionId: registered.version.id, modelVersionNumber: registered.version.number };
    },
  };
}

/** The port as this service publishes it to the workers' processes. */
export function publishedModelJobPort(port: ModelJobPort): PublishedGrantPort<ModelJobPort> {
  return { name: modelJobPortName, authority: 'job-grant', implementation: port as GrantPortMethods<ModelJobPort>, callers: modelJobPortCallers };
}
