import type { EntitySchema } from 'typeorm';
import type { JobGrantKeys } from '@tessera/auth';
import type { ServiceRuntime, SubgraphDefinition, SubgraphModule } from '@tessera/service-kit';
import { SeriesRetention, seriesRetentionConfig, type SeriesRetentionConfig } from '@tessera/tenancy';
import { modelsRetainedTables } from './data/retained-series';
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
  /** How long per-minute serving numbers are kept (METRICS_RETENTION_DAYS) and how the sweep paces itself. */
  retention?: Partial<SeriesRetentionConfig>;
}

/** The sweep of the models service's per-minute serving numbers, over every tenant whose schema is in use. */
export function modelsRetention(runtime: ServiceRuntime, retention?: Partial<SeriesRetentionConfig>): SeriesRetention {
  return new SeriesRetention({
    db: runtime.db,
    tenants: async () => (await runtime.tenants.listStatuses()).filter((t) => t.status !== 'PROVISIONING').map((t) => t.id),
    tables: modelsRetainedTables,
    config: seriesRetentionConfig(retention),
    logger: runtime.logger.child({ service: 'models', component: 'series-retention' }),
  });
}

/** The definition with the retention sweep started and stopped beside it. */
function withRetention(definition: SubgraphDefinition, sweep: SeriesRetention): SubgraphDefinition {
  return {
    ...definition,
    start: async () => {
      await definition.start?.();
      sweep.start();
    },
    close: async () => {
      await sweep.stop();
      await definition.close?.();
    },
  };
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
  // Stores and reads the tenant's encrypted model files; sweeps its old serving numbers.
  environment: ['storage', 'modelUploads', 'inference', 'retention'],
  ports: { publishes: { methods: modelsPortMethods, client: modelsPortClient, local: (runtime, options) => createModelsPort(runtime.scopes, { inferenceReadSeconds: options.inference?.inferenceReadSeconds }) }, calls: [] },
  build: (runtime, options) => {
    const config: ModelsConfig = { ...defaultModelsConfig, uploads: { ...defaultModelsConfig.uploads, ...options.modelUploads } };
    // The models service owns inference_stats, so it deletes what is older than the retention.
    const retention = modelsRetention(runtime, options.retention);
    if (options.modelServing) return withRetention(modelsSubgraph({ serving: options.modelServing, config, runtime, jobGrantKeys: options.jobGrantKeys, inferenceReadSeconds: options.inference?.inferenceReadSeconds }), retention);
    // Only the models service runs inference: one set of tenant pools per process that serves it.
    const own = ownServing(runtime, options.inference);
    const definition = modelsSubgraph({ serving: own.serving, config, runtime, jobGrantKeys: options.jobGrantKeys, inferenceReadSeconds: options.inference?.inferenceReadSeconds });
    return withRetention(
      {
        ...definition,
        start: own.start,
        close: async () => {
          await definition.close?.();
          await own.serving.close();
        },
      },
      retention,
    );
  },
} satisfies SubgraphModule<ModelsModuleOptions, 'models', ModelsPort>;
