import { ConfigError } from '@tessera/config';
import { parseInferencePoolsOptions } from '@tessera/inference';
import { readSubgraphEnvironment, subgraphEnvironment } from '@tessera/platform';
import { readWorkerEnvironment } from '@tessera/workers';
import { minimalSubgraphEnvironment, subgraphEnvironmentProblems } from './subgraph-environment';

/**
 * The inference pools' settings (INFERENCE_*: models service and worker) and the CSV parsing
 * threads' (CSV_PARSE_*: datasets service), parsed once with the rest of each service's settings:
 * a bad value stops the service at start-up naming the variable, unset ones keep the defaults the
 * README documents, and only the services that run those pools read them.
 */
describe('inference and CSV parsing settings', () => {
  const models = minimalSubgraphEnvironment('models');
  const datasets = minimalSubgraphEnvironment('datasets');
  const worker = { DATABASE_URL: 'mysql://tessera_workers:pw@db.example:3306', SERVICE_KEY: JSON.stringify({ kty: 'EC' }), JOBS_PORT_URL: 'https://jobs:4003', DATASETS_PORT_URL: 'https://datasets:4001', MODELS_PORT_URL: 'https://models:4002', TLS_CA_FILE: models['TLS_CA_FILE']!, TLS_CERT_FILE: models['TLS_CERT_FILE']!, TLS_KEY_FILE: models['TLS_KEY_FILE']! };
  const workerProblems = (env: Record<string, string>) => {
    try {
      readWorkerEnvironment(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems.join('\n');
      throw error;
    }
    return '';
  };

  it('unset, the documented defaults apply (memory budget 4096 MiB, 1024 MiB per process, 32 shared pools, 5000 ms; prediction log backlog 1024 MiB, a quarter per tenant)', () => {
    const inference = readSubgraphEnvironment('models', models).inference!;
    expect(inference).toEqual({ pools: {}, stats: { maxBacklogBytes: 1024 * 1024 ** 2, maxBacklogBytesPerTenant: 256 * 1024 ** 2 } });
    expect(parseInferencePoolsOptions(inference.pools)).toMatchObject({ memoryBudgetMb: 4096, processMemoryMb: 1024, maxLiveSharedPools: 32, defaultTimeoutMs: 5_000, batching: { maxBatchSize: 64, maxDelayMs: 0 } });
    expect(readWorkerEnvironment(worker).inference).toEqual({});
    expect(readSubgraphEnvironment('datasets', datasets).csvParsing).toEqual({});
  });

  it('reads each when set, for the service that uses it', () => {
    const set = { INFERENCE_MEMORY_BUDGET_MB: '8192', INFERENCE_TIMEOUT_MS: '2500', INFERENCE_MAX_BATCH: '0', INFERENCE_STATS_LOG_DIR: '/var/lib/tessera/prediction-log', INFERENCE_STATS_LOG_MAX_MB: '64', INFERENCE_STATS_LOG_PER_TENANT_MB: '8' };
    expect(readSubgraphEnvironment('models', { ...models, ...set }).inference).toEqual({
      pools: { memoryBudgetMb: 8192, defaultTimeoutMs: 2_500, batching: false },
      stats: { logDirectory: '/var/lib/tessera/prediction-log', maxBacklogBytes: 64 * 1024 ** 2, maxBacklogBytesPerTenant: 8 * 1024 ** 2 },
    });
    // A tenant's share is never more than the whole bound.
    expect(readSubgraphEnvironment('models', { ...models, INFERENCE_STATS_LOG_MAX_MB: '4', INFERENCE_STATS_LOG_PER_TENANT_MB: '16' }).inference!.stats).toEqual({ maxBacklogBytes: 4 * 1024 ** 2, maxBacklogBytesPerTenant: 4 * 1024 ** 2 });
    expect(readWorkerEnvironment({ ...worker, INFERENCE_MEMORY_BUDGET_MB: '4096', INFERENCE_SHARED_PROCESSES: '2' }).inference).toEqual({ memoryBudgetMb: 4096, shared: { processes: 2 } });
    expect(
      readSubgraphEnvironment('datasets', { ...datasets, CSV_PARSE_WORKERS: '3', CSV_PARSE_WORKERS_PER_TENANT: '2', CSV_PARSE_QUEUE_TIMEOUT_MS: '0', CSV_PARSE_QUEUE_PER_TENANT: '4', CSV_PARSE_WORKER_HEAP_MB: '64' }).csvParsing,
    ).toEqual({ workers: 3, perTenant: 2, queueTimeoutMs: 0, maxQueuedPerTenant: 4, workerHeapMb: 64 });
  });

  it('refuses a bad value at start-up, naming the variable', () => {
    const bad: Array<[string, string]> = [
      ['INFERENCE_TIMEOUT_MS', 'abc'],
      ['INFERENCE_TIMEOUT_MS', '600001'],
      ['INFERENCE_MAX_BATCH', '1e9'],
      ['INFERENCE_MAX_BATCH', '-1'],
      ['INFERENCE_MAX_DELAY_MS', '5000'],
      ['INFERENCE_SHARED_PROCESSES', '0'],
      ['INFERENCE_SESSION_CACHE_MB', '0.5'],
      ['INFERENCE_PROCESS_MEMORY_MB', '2GiB'],
      ['INFERENCE_MEMORY_BUDGET_MB', '0'],
      ['INFERENCE_MEMORY_BUDGET_MB', 'lots'],
      ['INFERENCE_MAX_SHARED_POOLS', '0'],
      ['INFERENCE_MEMORY_CHECK_MS', '1'],
    ];
    for (const [name, value] of bad) {
      expect({ name, value, models: subgraphEnvironmentProblems('models', { ...models, [name]: value }) }).toEqual({ name, value, models: expect.stringMatching(new RegExp(`^${name}:`, 'm')) });
      expect({ name, value, worker: workerProblems({ ...worker, [name]: value }) }).toEqual({ name, value, worker: expect.stringMatching(new RegExp(`^${name}:`, 'm')) });
    }
    const badLog: Array<[string, string]> = [
      ['INFERENCE_STATS_LOG_MAX_MB', '0'],
      ['INFERENCE_STATS_LOG_MAX_MB', '1.5'],
      ['INFERENCE_STATS_LOG_PER_TENANT_MB', 'much'],
      ['INFERENCE_STATS_LOG_PER_TENANT_MB', '0'],
    ];
    for (const [name, value] of badLog) {
      expect({ name, value, models: subgraphEnvironmentProblems('models', { ...models, [name]: value }) }).toEqual({ name, value, models: expect.stringMatching(new RegExp(`^${name}:`, 'm')) });
    }
    const badCsv: Array<[string, string]> = [
      ['CSV_PARSE_WORKERS', '-1'],
      ['CSV_PARSE_WORKERS', '0'],
      ['CSV_PARSE_WORKERS', '1000'],
      ['CSV_PARSE_WORKERS_PER_TENANT', 'two'],
      ['CSV_PARSE_QUEUE_TIMEOUT_MS', '-5'],
      ['CSV_PARSE_QUEUE_PER_TENANT', '1.5'],
      ['CSV_PARSE_WORKER_HEAP_MB', '8'],
    ];
    for (const [name, value] of badCsv) {
      expect({ name, value, datasets: subgraphEnvironmentProblems('datasets', { ...datasets, [name]: value }) }).toEqual({ name, value, datasets: expect.stringMatching(new RegExp(`^${name}:`, 'm')) });
    }
  });

  it('WORKER_POOL_HEADROOM_SLOTS: 1 unset, 0 keeps no headroom, anything but a whole number 0-1024 stops the worker naming it', () => {
    expect(readWorkerEnvironment(worker).poolHeadroomSlots).toBe(1);
    expect(readWorkerEnvironment({ ...worker, WORKER_POOL_HEADROOM_SLOTS: '0' }).poolHeadroomSlots).toBe(0);
    expect(readWorkerEnvironment({ ...worker, WORKER_POOL_HEADROOM_SLOTS: '3' }).poolHeadroomSlots).toBe(3);
    for (const value of ['-1', '1.5', 'some', '1025']) {
      expect({ value, worker: workerProblems({ ...worker, WORKER_POOL_HEADROOM_SLOTS: value }) }).toEqual({ value, worker: expect.stringMatching(/^WORKER_POOL_HEADROOM_SLOTS:/m) });
    }
  });

  it('WORKER_OUTCOME_RETRY_BACKOFF_MS and _MAX_MS: 1 s doubling to 10 s unset; below 10 ms, not whole, or a cap below the first wait stops the worker naming it', () => {
    expect(readWorkerEnvironment(worker)).toMatchObject({ outcomeRetryMs: 120_000, outcomeRetryBackoffMs: 1_000, outcomeRetryBackoffMaxMs: 10_000 });
    expect(readWorkerEnvironment({ ...worker, WORKER_OUTCOME_RETRY_BACKOFF_MS: '100', WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS: '400' })).toMatchObject({ outcomeRetryBackoffMs: 100, outcomeRetryBackoffMaxMs: 400 });
    expect(readWorkerEnvironment({ ...worker, WORKER_OUTCOME_RETRY_BACKOFF_MS: '500', WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS: '500' })).toMatchObject({ outcomeRetryBackoffMs: 500, outcomeRetryBackoffMaxMs: 500 });
    for (const name of ['WORKER_OUTCOME_RETRY_BACKOFF_MS', 'WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS']) {
      for (const value of ['9', '1.5', 'some', '-1']) {
        expect({ name, value, worker: workerProblems({ ...worker, [name]: value }) }).toEqual({ name, value, worker: expect.stringMatching(new RegExp(`^${name}:`, 'm')) });
      }
    }
    expect(workerProblems({ ...worker, WORKER_OUTCOME_RETRY_BACKOFF_MS: '5000', WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS: '1000' })).toBe('WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS: 1000 is below WORKER_OUTCOME_RETRY_BACKOFF_MS (5000)');
    // The default cap is 10 s: a first wait above it needs a cap of its own.
    expect(workerProblems({ ...worker, WORKER_OUTCOME_RETRY_BACKOFF_MS: '20000' })).toBe('WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS: 10000 is below WORKER_OUTCOME_RETRY_BACKOFF_MS (20000)');
  });

  it('only the services that run the pools read them', () => {
    expect(Object.keys(subgraphEnvironment('models').shape)).toEqual(expect.arrayContaining(['INFERENCE_MEMORY_BUDGET_MB', 'INFERENCE_TIMEOUT_MS', 'INFERENCE_STATS_LOG_DIR', 'INFERENCE_STATS_LOG_MAX_MB', 'INFERENCE_STATS_LOG_PER_TENANT_MB']));
    expect(Object.keys(subgraphEnvironment('datasets').shape)).toEqual(expect.arrayContaining(['CSV_PARSE_WORKERS', 'CSV_PARSE_WORKER_HEAP_MB']));
    for (const name of ['datasets', 'jobs', 'audit', 'metrics', 'tenants'] as const) expect({ name, keys: Object.keys(subgraphEnvironment(name).shape).filter((key) => key.startsWith('INFERENCE_')) }).toEqual({ name, keys: [] });
    for (const name of ['models', 'jobs', 'audit', 'metrics', 'tenants'] as const) expect({ name, keys: Object.keys(subgraphEnvironment(name).shape).filter((key) => key.startsWith('CSV_PARSE_')) }).toEqual({ name, keys: [] });
    expect(readSubgraphEnvironment('datasets', datasets).inference).toBeUndefined();
    expect(readSubgraphEnvironment('models', models).csvParsing).toBeUndefined();
  });
});
