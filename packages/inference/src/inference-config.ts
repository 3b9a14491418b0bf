import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { errors } from '@tessera/errors';

/**
 * Every knob of the inference pools, parsed once with defaults. Callers pass a partial object (a
 * service builds one from its parsed environment with `toInferencePoolsOptions`).
 */
const tierOptions = (defaults: { processes: number; idleStopMs: number; intraOpNumThreads: number }) =>
  z
    .object({
      /** Child processes in one tenant's pool; each runs one batch at a time. */
      processes: z.number().int().min(1).max(64).default(defaults.processes),
      /** A pool with no queued or running call for this long stops its processes (restarted lazily). */
      idleStopMs: z.number().int().min(100).default(defaults.idleStopMs),
      /** onnxruntime intra-op threads per process; 0 = onnxruntime's default (one per core). */
      intraOpNumThreads: z.number().int().min(0).max(64).default(defaults.intraOpNumThreads),
    })
    .prefault({});

export const batchingOptionsSchema = z.object({
  maxBatchSize: z.number().int().min(1).max(65_536),
  maxDelayMs: z.number().min(0).max(1_000),
});

export const inferencePoolsOptionsSchema = z.object({
  // Shared-tier tenants each get a small pool of their own; many of them share the host.
  shared: tierOptions({ processes: 1, idleStopMs: 60_000, intraOpNumThreads: 1 }),
  // Dedicated-tier tenants pay for capacity: more processes, kept warm longer, all cores per run.
  dedicated: tierOptions({ processes: 2, idleStopMs: 15 * 60_000, intraOpNumThreads: 0 }),
  /** Cap on shared-tier pools with live processes; idle ones are stopped to make room (host protection). */
  maxLiveSharedPools: z.number().int().min(1).default(32),
  /** Per-process session LRU budget, in bytes of model file (the estimate of a session's memory). */
  sessionCacheBytes: z.number().int().min(0).default(256 * 1024 * 1024),
  /** Parent-side cache of model bytes, so a reload after eviction or a restart does not hit storage again. */
  modelBytesCacheBytes: z.number().int().min(0).default(64 * 1024 * 1024),
  modelBytesCacheTtlMs: z.number().int().min(0).default(60_000),
  /** Longest a `load()` callback (storage read + decryption) may take. */
  loadTimeoutMs: z.number().int().min(1).default(30_000),
  /** Default per-call limit (run time, and time waiting in the queue). */
  defaultTimeoutMs: z.number().int().min(1).max(10 * 60_000).default(5_000),
  /** Calls waiting (not yet running) per pool before `predict` answers QUOTA_EXCEEDED, for calls without tenant limits. */
  maxQueuedPerPool: z.number().int().min(1).default(256),
  /**
   * Host bounds on a tenant's own limits: a tenant may be granted more processes or threads than
   * this machine should give one pool; the pools use the smaller of the two.
   */
  maxProcessesPerPool: z.number().int().min(1).max(64).default(16),
  // More intra-op threads than cores only adds contention, so the default bound is the core count.
  maxThreadsPerProcess: z.number().int().min(1).max(256).default(() => availableParallelism()),
  /**
   * Resident memory cap of one inference process, MiB, for calls without tenant limits (0: none of
   * its own, so half the memory budget, the most any process is given).
   */
  processMemoryMb: z.number().int().min(0).default(1024),
  /**
   * MiB all inference processes of this service process may hold together: each reserves its cap
   * when it starts (inference-memory-budget.ts); one tenant at most half. The default holds two
   * processes at the default cap, so one tenant's busy process never locks another tenant out.
   */
  memoryBudgetMb: z.number().int().min(64).max(1_048_576).default(4096),
  /** How often each live process's resident memory is read (/proc/<pid>/status) against its cap. */
  memoryCheckIntervalMs: z.number().int().min(10).max(60_000).default(200),
  /**
   * Default batching. maxDelayMs 0 means "no extra wait": a call runs at once on a free process, and
   * whatever queued while every process was busy is merged into the next run. Measured on the MLP
   * (scripts/ipc-overhead.ts): at concurrency 32 that gives ~6x the throughput of a 2 ms window, and
   * at concurrency 1 a 2 ms window costs 2 ms on every call. Raise it per model for bigger batches.
   */
  batching: z.union([batchingOptionsSchema, z.literal(false)]).default({ maxBatchSize: 64, maxDelayMs: 0 }),
  /**
   * Output values (all outputs together) one call may get back. A model's answer is not bounded by
   * its input (a 200-byte file can broadcast one value into 8 million), and every answer crosses
   * into this process, whose event loop all tenants share: a run over the limit (calls of a merged
   * run × the limit) is refused in the inference process, before anything is sent.
   */
  maxOutputValues: z.number().int().min(1).default(262_144),
  /** How long a new process may take to load the runtime and say it is ready. */
  startTimeoutMs: z.number().int().min(1).default(30_000),
  /**
   * A pool whose processes end unexpectedly (time limit, memory limit, crash) twice or more in a row,
   * with no run served in between, starts the next one only after this delay, doubled at each
   * further death up to `restartBackoffMaxMs`. A process start costs 0.3–0.5 s of a core that no
   * meter charges, so a tenant whose every call kills its process (a 10 ms time limit on a slow
   * model) would otherwise take the host's CPU with restarts. Only that pool waits.
   */
  restartBackoffMs: z.number().int().min(0).max(60_000).default(250),
  restartBackoffMaxMs: z.number().int().min(0).max(600_000).default(10_000),
});

export type InferencePoolsOptions = z.infer<typeof inferencePoolsOptionsSchema>;
export type InferencePoolsOptionsInput = z.input<typeof inferencePoolsOptionsSchema>;

export function parseInferencePoolsOptions(input: InferencePoolsOptionsInput = {}): InferencePoolsOptions {
  const parsed = inferencePoolsOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid inference options at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Per-call batching options, validated like user input (they may come from a model's stored config). */
export function parseBatchingOverride(value: unknown): z.infer<typeof batchingOptionsSchema> | false {
  if (value === false) return false;
  const parsed = batchingOptionsSchema.safeParse(value);
  if (!parsed.success) {
    throw errors.badInput('batching must be false or { maxBatchSize: 1..65536, maxDelayMs: 0..1000 }.', { field: 'batching' });
  }
  return parsed.data;
}

/** A whole number between `min` and `max`; unset keeps the pools' default. */
const setting = (min: number, max: number) => z.coerce.number().int().min(min).max(max).optional();

/**
 * The environment variables an operator sets (all optional; README: Configuration), as a schema the
 * services that run inference pools (models, worker) extend theirs with: parsed once with the rest
 * of the service's settings, so a bad value stops the service at start-up naming the variable. The
 * bounds are within the pools' own (`inferencePoolsOptionsSchema`), so what passes here the pools accept.
 */
export const inferenceVariables = z.object({
  INFERENCE_SHARED_PROCESSES: setting(1, 64),
  INFERENCE_DEDICATED_PROCESSES: setting(1, 64),
  INFERENCE_SESSION_CACHE_MB: setting(0, 1_048_576),
  INFERENCE_TIMEOUT_MS: setting(1, 10 * 60_000),
  INFERENCE_MAX_QUEUED: setting(1, 1_000_000),
  /** 0 turns dynamic batching off. */
  INFERENCE_MAX_BATCH: setting(0, 65_536),
  INFERENCE_MAX_DELAY_MS: setting(0, 1_000),
  INFERENCE_MAX_SHARED_POOLS: setting(1, 10_000),
  INFERENCE_MAX_PROCESSES_PER_POOL: setting(1, 64),
  INFERENCE_MAX_THREADS_PER_PROCESS: setting(1, 256),
  INFERENCE_PROCESS_MEMORY_MB: setting(0, 1_048_576),
  INFERENCE_MEMORY_BUDGET_MB: setting(64, 1_048_576),
  INFERENCE_MEMORY_CHECK_MS: setting(10, 60_000),
  INFERENCE_MAX_OUTPUT_VALUES: setting(1, 100_000_000),
});

export type InferenceVariables = z.infer<typeof inferenceVariables>;

/** The pools' options from the parsed variables: what is unset keeps its default. */
export function toInferencePoolsOptions(parsed: InferenceVariables): InferencePoolsOptionsInput {
  const maxBatch = parsed.INFERENCE_MAX_BATCH;
  const maxDelay = parsed.INFERENCE_MAX_DELAY_MS;
  const input: InferencePoolsOptionsInput = {
    shared: parsed.INFERENCE_SHARED_PROCESSES === undefined ? undefined : { processes: parsed.INFERENCE_SHARED_PROCESSES },
    dedicated: parsed.INFERENCE_DEDICATED_PROCESSES === undefined ? undefined : { processes: parsed.INFERENCE_DEDICATED_PROCESSES },
    sessionCacheBytes: parsed.INFERENCE_SESSION_CACHE_MB === undefined ? undefined : parsed.INFERENCE_SESSION_CACHE_MB * 1024 * 1024,
    defaultTimeoutMs: parsed.INFERENCE_TIMEOUT_MS,
    maxQueuedPerPool: parsed.INFERENCE_MAX_QUEUED,
    maxLiveSharedPools: parsed.INFERENCE_MAX_SHARED_POOLS,
    maxProcessesPerPool: parsed.INFERENCE_MAX_PROCESSES_PER_POOL,
    maxThreadsPerProcess: parsed.INFERENCE_MAX_THREADS_PER_PROCESS,
    processMemoryMb: parsed.INFERENCE_PROCESS_MEMORY_MB,
    memoryBudgetMb: parsed.INFERENCE_MEMORY_BUDGET_MB,
    memoryCheckIntervalMs: parsed.INFERENCE_MEMORY_CHECK_MS,
    maxOutputValues: parsed.INFERENCE_MAX_OUTPUT_VALUES,
    batching: maxBatch === 0 ? false : maxBatch === undefined && maxDelay === undefined ? undefined : { maxBatchSize: maxBatch ?? 64, maxDelayMs: maxDelay ?? 0 },
  };
  // Unset keys are left out, so the schema's defaults fill them.
  return JSON.parse(JSON.stringify(input)) as InferencePoolsOptionsInput;
}
