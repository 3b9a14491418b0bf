import { join } from 'node:path';
import { createJobGrantVerifier, type JobGrantKeys } from '@tessera/auth';
import { loadSchemaFile, type ServiceRuntime, type SubgraphDefinition } from '@tessera/service-kit';
import { defaultModelsConfig, type ModelsConfig } from './domain/models-config';
import type { ModelUploadCapacity } from './domain/model-upload.service';
import { OnnxValidator } from './domain/onnx-validator';
import { UploadMemoryBudget } from './domain/upload-memory-budget';
import { modelFileRoutes } from './http/model-files.route';
import { predictRoute } from './http/predict.route';
import { modelResolvers } from './resolvers/model.resolver';
import { modelRules } from './rules';
import { createModelsPort, publishedModelsPort } from './ports/models-port.impl';
import { createModelJobPort, publishedModelJobPort } from './ports/model-job-port.impl';
import type { ModelServing } from './serving/model-serving';

export { modelEntities } from './data';

/** The process's upload memory and validation threads (threads start at the first large file). */
export function createModelUploadCapacity(uploads: ModelsConfig['uploads']): ModelUploadCapacity {
  const budget = new UploadMemoryBudget(uploads.memoryBytes);
  // A file's bytes live outside a thread's heap (transferred); what it decodes into (number lists of
  // float_data, the graph's objects) lives in it. Twice the largest file one tenant may hold leaves
  // room for any honest model, and bounds what a crafted one can make the process allocate.
  const maxHeapMb = Math.max(256, Math.ceil((2 * budget.perTenantBytes) / (1024 * 1024)));
  return {
    budget,
    validator: new OnnxValidator({ threads: uploads.validationThreads, inlineBelowBytes: uploads.inlineValidationBelowBytes, maxHeapMb }),
  };
}

/**
 * The models subgraph. `serving` is the process's one ModelServing (inference pools + stats);
 * without it (a schema-only build, e.g. the RBAC coverage test) predict answers SERVICE_UNAVAILABLE.
 */
export function modelsSubgraph(
  options: {
    serving?: ModelServing | undefined;
    config?: ModelsConfig;
    /** The process's upload memory budget and validation threads (made from `config.uploads` when absent). */
    uploadCapacity?: ModelUploadCapacity;
    runtime?: Pick<ServiceRuntime, 'scopes'>;
    jobGrantKeys?: JobGrantKeys | undefined;
    /** The database time one read of the inference numbers may take (default `maxInferenceReadSeconds`). */
    inferenceReadSeconds?: number | undefined;
  } = {},
): SubgraphDefinition {
  const config = options.config ?? defaultModelsConfig;
  const uploadCapacity = options.uploadCapacity ?? createModelUploadCapacity(config.uploads);
  const catalog = options.runtime ? createModelsPort(options.runtime.scopes, { inferenceReadSeconds: options.inferenceReadSeconds }) : undefined;
  return {
    name: 'models',
    typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')),
    resolvers: modelResolvers(config, options.serving, uploadCapacity),
    rules: modelRules,
    routes: modelFileRoutes(config, uploadCapacity),
    plainRoutes: [predictRoute(config, options.serving)],
    // With a runtime it also publishes its ports to other processes; the models-job port accepts
    // only grants verified with the jobs service's public key (jobGrantKeys.verifyKey).
    ports:
      options.runtime && catalog
        ? [publishedModelsPort(catalog), publishedModelJobPort(createModelJobPort({ scopes: options.runtime.scopes, verifyGrant: createJobGrantVerifier(options.jobGrantKeys?.verifyKey), catalog }))]
        : [],
    close: () => uploadCapacity.validator.close(),
  };
}
