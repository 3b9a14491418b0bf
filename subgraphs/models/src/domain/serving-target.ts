import type { ModelVersion } from '../data/model-version.entity';

/** What a predict handle (model + version or alias) resolves to: the version and how the model is served. */
export interface ServingTarget {
  version: ModelVersion;
  batching: { maxBatchSize: number; maxDelayMs: number } | false;
  timeoutMs: number;
}
