import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { errors } from '@tessera/errors';

/**
 * Every knob of the inference pools, parsed once with defaults. Callers pass a partial object
 * (or build one from the environment with `inferenceOptionsFromEnvironment`).
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
  /** Resident memory cap of one inference process, MiB, for calls without tenant limits (0 = none). */
  processMemoryMb: z.number().int().min(0).default(2048),
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

const envNumber = (value: string | undefined): number | undefined => (value === undefined || value === '' ? undefined : Number(value));

/**
 * The environment variables an operator sets (all optional):
 * INFERENCE_SHARED_PROCESSES, INFERENCE_DEDICATED_PROCESSES, INFERENCE_SESSION_CACHE_MB,
 * INFERENCE_TIMEOUT_MS, INFERENCE_MAX_QUEUED, INFERENCE_MAX_BATCH (0 disables batching), INFERENCE_MAX_DELAY_MS,
 * INFERENCE_MAX_SHARED_POOLS, INFERENCE_MAX_PROCESSES_PER_POOL, INFERENCE_MAX_THREADS_PER_PROCESS,
 * INFERENCE_PROCESS_MEMORY_MB, INFERENCE_MEMORY_CHECK_MS, INFERENCE_MAX_OUTPUT_VALUES.
 */
export function inferenceOptionsFromEnvironment(env: NodeJS.ProcessEnv): InferencePoolsOptions {
  const mb = envNumber(env['INFERENCE_SESSION_CACHE_MB']);
  const maxBatch = envNumber(env['INFERENCE_MAX_BATCH']);
  const maxDelay = envNumber(env['INFERENCE_MAX_DELAY_MS']);
  const input: Record<string, unknown> = {
    shared: { processes: envNumber(env['INFERENCE_SHARED_PROCESSES']) },
    dedicated: { processes: envNumber(env['INFERENCE_DEDICATED_PROCESSES']) },
    sessionCacheBytes: mb === undefined ? undefined : Math.round(mb * 1024 * 1024),
    defaultTimeoutMs: envNumber(env['INFERENCE_TIMEOUT_MS']),
    maxQueuedPerPool: envNumber(env['INFERENCE_MAX_QUEUED']),
    maxLiveSharedPools: envNumber(env['INFERENCE_MAX_SHARED_POOLS']),
    maxProcessesPerPool: envNumber(env['INFERENCE_MAX_PROCESSES_PER_POOL']),
    maxThreadsPerProcess: envNumber(env['INFERENCE_MAX_THREADS_PER_PROCESS']),
    processMemoryMb: envNumber(env['INFERENCE_PROCESS_MEMORY_MB']),
    memoryCheckIntervalMs: envNumber(env['INFERENCE_MEMORY_CHECK_MS']),
    maxOutputValues: envNumber(env['INFERENCE_MAX_OUTPUT_VALUES']),
    batching:
      maxBatch === 0 ? false : maxBatch === undefined && maxDelay === undefined ? undefined : { maxBatchSize: maxBatch ?? 64, maxDelayMs: maxDelay ?? 0 },
  };
  return parseInferencePoolsOptions(JSON.parse(JSON.stringify(input)) as InferencePoolsOptionsInput);
}
