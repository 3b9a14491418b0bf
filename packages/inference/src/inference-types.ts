/**
 * The public shapes of the inference gateway: what a caller sends to `predict`, what it gets back,
 * and the per-call record kept for metrics.
 */

/** Element types a caller can send or receive. Names follow onnxruntime's `Tensor.type`. */
export const tensorElementTypes = ['float32', 'float64', 'int32', 'int64', 'bool'] as const;
export type TensorElementType = (typeof tensorElementTypes)[number];

export type TensorData = number[] | Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface TensorInput {
  type: TensorElementType;
  /** Row-major values; length must equal the product of `dims`. `bool` takes 0/1 numbers (or a Uint8Array). */
  data: TensorData;
  dims: number[];
}

export interface TensorOutput {
  type: string;
  dims: number[];
  /** Plain numbers (int64 values are converted with `Number`, so beyond 2^53 they lose precision). */
  data: number[];
}

/** Output data as onnxruntime produced it: one typed array per output, exact (int64 stays BigInt64Array). */
export type TypedTensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** How `predict` returns output data: plain numbers (the default) or the typed arrays themselves. */
export type OutputDataFormat = 'numbers' | 'typed';

export type TensorOutputOf<F extends OutputDataFormat> = F extends 'typed' ? Omit<TensorOutput, 'data'> & { data: TypedTensorData } : TensorOutput;

export type TenantTier = 'shared' | 'dedicated';

/** Triton-style dynamic batching: calls for the same model arriving within `maxDelayMs` share one `session.run`. */
export interface BatchingOptions {
  /** Upper bound on the summed first dimension (rows) of a merged run. */
  maxBatchSize: number;
  /** How long the first call of a batch waits for company before it runs anyway. */
  maxDelayMs: number;
}

/**
 * One tenant's inference budget, read from its tenant record on every call (so a change applies to
 * the next call): the pools resize or restart the tenant's processes to match.
 */
export interface TenantInferenceLimits {
  /** Calls accepted and not yet answered (queued + running) for the tenant in this process. */
  maxInFlight: number;
  /** Calls waiting for a free process of the tenant's pool. */
  maxQueued: number;
  /** Child processes of the tenant's pool (capped by the pools' `maxProcessesPerPool`). */
  processes: number;
  /** onnxruntime intra-op threads per process (capped by the pools' `maxThreadsPerProcess`). */
  intraOpNumThreads: number;
  /** Resident memory of one process, MiB; over it the process is killed and replaced. */
  processMemoryMb: number;
}

export interface PredictRequest {
  tenantId: string;
  tier: TenantTier;
  /** Identifies the exact model bytes, e.g. `${versionId}:${sha256}`; a new key means a new session. */
  modelKey: string;
  /** Called only when no process of the pool has the session and the parent's short byte cache misses. */
  load: () => Promise<Uint8Array>;
  inputs: Record<string, TensorInput>;
  /** `false` runs the call alone; omitted → the pools' defaults. */
  batching?: BatchingOptions | false;
  /** Longest a run may take before its process is killed; also the longest a call may wait in the queue. */
  timeoutMs?: number;
  /** The tenant's budget; omitted → the tier's defaults from the pools' options and no in-flight cap. */
  limits?: TenantInferenceLimits;
  /**
   * `typed`: outputs keep onnxruntime's typed arrays (no per-value conversion; what a caller that
   * encodes the bytes, e.g. as base64, wants). Default `numbers`.
   */
  outputData?: OutputDataFormat;
}

export interface PredictResult<F extends OutputDataFormat = 'numbers'> {
  outputs: Record<string, TensorOutputOf<F>>;
  /** How many predict calls shared the `session.run` that served this one (1 = ran alone). */
  batchSize: number;
  /** Rows (summed first dimension) of that run. */
  batchRows: number;
  /** From `predict()` to the answer, queueing included. */
  latencyMs: number;
  /** Stable id of the pool that ran the call: `${tier}:${tenantId}`. */
  poolId: string;
  /** Operating-system pid of the process that ran the call. */
  pid: number;
  /** True when the process had to create the session for this run (first use, eviction, restart). */
  sessionLoaded: boolean;
  /** This call's share of the milliseconds spent inside `session.run` (what inference is metered in). */
  computeMs: number;
  /** Its share of the CPU milliseconds the inference process used during that run. */
  computeCpuMs: number;
}

/** One per predict call (success or failure), for the metrics subgraph. */
export interface InferenceRecord {
  tenantId: string;
  modelKey: string;
  poolId: string;
  batchSize: number;
  latencyMs: number;
  /**
   * This call's share of `session.run` milliseconds. A call that failed in a process has its share of
   * what the run used: to the end or the runtime's error, or from hand-over until the process was
   * killed (time or memory limit) or crashed. 0 only when it never reached a process.
   */
  computeMs: number;
  /** Its share of the CPU milliseconds the inference process used during that run (0 when it never ran, or the process was killed). */
  computeCpuMs: number;
  ok: boolean;
  errorCode?: string;
  at: Date;
}

export type InferenceRecordListener = (record: InferenceRecord) => void;
