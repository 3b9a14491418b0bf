import type { EntitySchema } from 'typeorm';
import type { JobGrantKeys } from '@tessera/auth';
import type { ServiceRuntime, SubgraphModule } from '@tessera/service-kit';
import { defaultModelsConfig, type ModelsConfig } from './domain/models-config';
import { modelEntities, modelsSubgraph } from './server';
import { createModelServing, type ModelServing, type ModelServingOptions } from './serving/model-serving';
import { modelsData } from './tables';
import { modelsPortClient, modelsPortMethods, type ModelsPort } from './ports';
import { createModelsPort } from './ports/models-port.impl';

export interface ModelsModuleOptions {
  /** A ModelServing made by the caller (who then closes it); otherwise the module makes its own. */
  modelServing?: ModelServing;
  /** Inference pools and stats when the module makes its own ModelServing (the INFERENCE_* variables, read with the service's environment); defaults when omitted. */
  inference?: ModelServingOptions;
  /** `verifyKey`: the jobs service's public key, which job grants are checked against. */
  jobGrantKeys?: JobGrantKeys;
  /** Upload memory budget and validation threads (MODEL_UPLOAD_MEMORY_BYTES, MODEL_VALIDATION_THREADS); defaults otherwise. */
  modelUploads?: Partial<ModelsConfig['uploads']>;
}

/**
 * The module's own ModelServing, made when the subgraph starts (building a definition has no side
 * effects: tests build one only to read its rules) or at its first use, and closed with it.
 */
function ownServing(runtime: ServiceRuntime, options: ModelServingOptions | undefined) {
  let made: ModelServing | undefined;
  const get = () => (made ??= createModelServing(runtime, options));
  const serving: ModelServing = {
    get pools() {
      return get().pools;
    },
    get stats() {
      return get().stats;
    },
    get predictionsPerMinute() {
      return get().predictionsPerMinute;
    },
    get predictionsInFlight() {
      return get().predictionsInFlight;
    },
    get budgets() {
      return get().budgets;
    },
    get resolutions() {
      return get().resolutions;
    },
    get generations() {
      return get().generations;
    },
    close: async () => made?.close(),
  };
  return { serving, start: () => void get() };
}

export const modelsModule = {
  name: 'models',
  entities: modelEntities as EntitySchema[],
  data: modelsData,
  // Stores and reads the tenant's encrypted model files.
  environment: ['storage', 'modelUploads', 'inference'],
  ports: { publishes: { methods: modelsPortMethods, client: modelsPortClient, local: (runtime) => createModelsPort(runtime.scopes) }, calls: [] },
  build: (runtime, options) => {
    const config: ModelsConfig = { ...defaultModelsConfig, uploads: { ...defaultModelsConfig.uploads, ...options.modelUploads } };
    if (options.modelServing) return modelsSubgraph({ serving: options.modelServing, config, runtime, jobGrantKeys: options.jobGrantKeys });
    // Only the models service runs inference: one set of tenant pools per process that serves it.
    const own = ownServing(runtime, options.inference);
    const definition = modelsSubgraph({ serving: own.serving, config, runtime, jobGrantKeys: options.jobGrantKeys });
    return {
      ...definition,
      start: own.start,
      close: async () => {
        await definition.close?.();
        await own.serving.close();
      },
    };
  },
} satisfies SubgraphModule<ModelsModuleOptions, 'models', ModelsPort>;
