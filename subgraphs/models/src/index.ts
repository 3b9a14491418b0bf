export { modelsSubgraph, modelEntities } from './server';
export { defaultModelsConfig, type ModelsConfig } from './domain/models-config';
export { ModelRegistry, type RegisterVersionInput, type RegisteredVersion, type ModelLineage } from './domain/model-registry.service';
export { createModelServing, type ModelServing, type ModelServingOptions } from './serving/model-serving';
export { PredictionsPerMinute, type PredictionsPerMinuteOptions, type Admission } from './serving/predictions-per-minute';
export { ServingGenerations, servingGenerationKey, type ServingGenerationsOptions } from './serving/serving-generations';
export { ModelResolutionCache, type ModelResolutionCacheOptions } from './serving/model-resolution-cache';
export { PredictionsInFlightSync, type PredictionsInFlightSyncOptions } from './serving/predictions-in-flight-sync';
export { InferenceStatsRecorder, type InferenceCall } from './serving/inference-stats.recorder';
export type { Model } from './data/model.entity';
export type { ModelVersion } from './data/model-version.entity';
/** For composition roots that run a caller in this process; other services import `@tessera/models/ports`. */
export { createModelsPort } from './ports/models-port.impl';
export { createModelJobPort } from './ports/model-job-port.impl';
export { modelsModule, type ModelsModuleOptions } from './module';
export { modelsData } from './tables';
