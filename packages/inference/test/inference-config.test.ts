import { availableParallelism } from 'node:os';
import { inferenceOptionsFromEnvironment, parseInferencePoolsOptions } from '../src';

describe('inference options', () => {
  it('fills every default, per tier', () => {
    const options = parseInferencePoolsOptions();
    expect(options.shared).toEqual({ processes: 1, idleStopMs: 60_000, intraOpNumThreads: 1 });
    expect(options.dedicated.processes).toBe(2);
    expect(options.batching).toEqual({ maxBatchSize: 64, maxDelayMs: 0 });
    expect(options.defaultTimeoutMs).toBe(5_000);
    expect(options).toMatchObject({ maxProcessesPerPool: 16, maxThreadsPerProcess: availableParallelism(), processMemoryMb: 2048, memoryCheckIntervalMs: 200 });
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
    expect(() => inferenceOptionsFromEnvironment({ INFERENCE_TIMEOUT_MS: 'soon' })).toThrow(/defaultTimeoutMs/);
    const bounds = inferenceOptionsFromEnvironment({
      INFERENCE_MAX_PROCESSES_PER_POOL: '4',
      INFERENCE_MAX_THREADS_PER_PROCESS: '8',
      INFERENCE_PROCESS_MEMORY_MB: '512',
      INFERENCE_MEMORY_CHECK_MS: '100',
    });
    expect(bounds).toMatchObject({ maxProcessesPerPool: 4, maxThreadsPerProcess: 8, processMemoryMb: 512, memoryCheckIntervalMs: 100 });
  });
});
