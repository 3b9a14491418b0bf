import { availableParallelism } from 'node:os';
import { inferenceVariables, parseInferencePoolsOptions, toInferencePoolsOptions } from '../src';

/** The pools' options from environment variables, as a service's configuration module builds them. */
const inferenceOptionsFromEnvironment = (env: Record<string, string>) => parseInferencePoolsOptions(toInferencePoolsOptions(inferenceVariables.parse(env)));

describe('inference options', () => {
  it('fills every default, per tier', () => {
    const options = parseInferencePoolsOptions();
    expect(options.shared).toEqual({ processes: 1, idleStopMs: 60_000, intraOpNumThreads: 1 });
    expect(options.dedicated.processes).toBe(2);
    expect(options.batching).toEqual({ maxBatchSize: 64, maxDelayMs: 0 });
    expect(options.defaultTimeoutMs).toBe(5_000);
    expect(options).toMatchObject({ maxProcessesPerPool: 16, maxThreadsPerProcess: availableParallelism(), processMemoryMb: 1024, memoryBudgetMb: 4096, memoryCheckIntervalMs: 200, maxLiveSharedPools: 32 });
    expect(parseInferencePoolsOptions({ dedicated: { processes: 4 } }).dedicated).toEqual({ processes: 4, idleStopMs: 900_000, intraOpNumThreads: 0 });
  });

  it('rejects impossible values naming the option', () => {
    expect(() => parseInferencePoolsOptions({ shared: { processes: 0 } })).toThrow(/shared\.processes/);
    expect(() => parseInferencePoolsOptions({ batching: { maxBatchSize: 0, maxDelayMs: 1 } })).toThrow(/batching/);
  });

  it('reads the operator environment variables', () => {
    const options = inferenceOptionsFromEnvironment({
      INFERENCE_SHARED_PROCESSES: '2',
      INFERENCE_DEDICATED_PROCESSES: '6',
      INFERENCE_SESSION_CACHE_MB: '32',
      INFERENCE_TIMEOUT_MS: '2500',
      INFERENCE_MAX_BATCH: '16',
    });
    expect(options.shared.processes).toBe(2);
    expect(options.dedicated.processes).toBe(6);
    expect(options.sessionCacheBytes).toBe(32 * 1024 * 1024);
    expect(options.defaultTimeoutMs).toBe(2_500);
    expect(options.batching).toEqual({ maxBatchSize: 16, maxDelayMs: 0 });
    expect(inferenceOptionsFromEnvironment({ INFERENCE_MAX_BATCH: '0' }).batching).toBe(false);
    expect(inferenceOptionsFromEnvironment({})).toEqual(parseInferencePoolsOptions());
    const bounds = inferenceOptionsFromEnvironment({
      INFERENCE_MAX_PROCESSES_PER_POOL: '4',
      INFERENCE_MAX_THREADS_PER_PROCESS: '8',
      INFERENCE_PROCESS_MEMORY_MB: '512',
      INFERENCE_MEMORY_CHECK_MS: '100',
      INFERENCE_MEMORY_BUDGET_MB: '8192',
    });
    expect(bounds).toMatchObject({ maxProcessesPerPool: 4, maxThreadsPerProcess: 8, processMemoryMb: 512, memoryCheckIntervalMs: 100, memoryBudgetMb: 8192 });
  });

  it('every value the variables accept, the pools accept (a bad one is refused with the variable, at start-up)', () => {
    const shape = inferenceVariables.shape;
    for (const name of Object.keys(shape) as Array<keyof typeof shape>) {
      const bounds = shape[name].unwrap();
      for (const value of [bounds.minValue, bounds.maxValue]) expect(() => inferenceOptionsFromEnvironment({ [name]: String(value) })).not.toThrow();
      for (const value of [String(bounds.minValue! - 1), String(bounds.maxValue! + 1), '1.5', 'soon']) {
        expect({ name, value, accepted: inferenceVariables.safeParse({ [name]: value }).success }).toEqual({ name, value, accepted: false });
      }
    }
  });
});
