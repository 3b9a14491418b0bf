export { InferencePools, poolIdFor, type InferencePool } from './inference-pools';
export type { PoolStats, WorkerStats } from './tenant-pool';
export {
  inferencePoolsOptionsSchema,
  parseInferencePoolsOptions,
  inferenceVariables,
  toInferencePoolsOptions,
  type InferenceVariables,
  type InferencePoolsOptions,
  type InferencePoolsOptionsInput,
} from './inference-config';
export {
  tensorElementTypes,
  type TensorElementType,
  type TensorData,
  type TensorInput,
  type TensorOutput,
  type TensorOutputOf,
  type TypedTensorData,
  type OutputDataFormat,
  type TenantTier,
  type BatchingOptions,
  type PredictRequest,
  type TenantInferenceLimits,
  type PredictResult,
  type InferenceRecord,
  type InferenceRecordListener,
} from './inference-types';
export type { InferenceFailureReason, InferenceQuotaName } from './inference-errors';
export type { InFlightElsewhere } from './tenant-in-flight';
