import { buildLinearRegression, buildMlp, buildSlowModel } from '@tessera/onnx';
import { InferencePools, type PredictRequest } from '../src';
import { countingLoader, inferenceChildren, isAlive, predictError, rowsInput, waitFor } from './helpers';

const small = buildLinearRegression({ weights: [1, 2], bias: 0 });
const big = buildMlp({
  layers: [
    { weights: Array.from({ length: 2 }, () => Array.from({ length: 64 }, (_, j) => j / 64)), bias: Array.from({ length: 64 }, () => 0), activation: 'relu' },
    { weights: Array.from({ length: 64 }, () => [1]), bias: [0], activation: 'none' },
  ],
});
// Row [1, 1]: small → 3; big → sum over j of relu(2·j/64) = 2·(0+…+63)/64 = 63.
const request = (pools: InferencePools, tenantId: string, modelKey: string, load: () => Promise<Uint8Array>): Promise<ReturnType<InferencePools['predict']> extends Promise<infer R> ? R : never> =>
  pools.predict({ tenantId, tier: 'shared', modelKey, load, inputs: rowsInput([[1, 1]]), batching: false } satisfies PredictRequest);

describe('session LRU, idle stop and shutdown', () => {
  it('with a budget for one session, switching models evicts and reloads transparently', async () => {
    expect(big.byteLength).toBeGreaterThan(small.byteLength);
    // Room for the big model alone; the bytes cache is off so every session load asks load() again.
    const pools = new InferencePools({ sessionCacheBytes: big.byteLength, modelBytesCacheBytes: 0 });
    try {
      const smallLoader = countingLoader(small);
      const bigLoader = countingLoader(big);
      const first = await request(pools, 'tenant-l', 'small', smallLoader.load);
      expect(first.sessionLoaded).toBe(true);
      expect((await request(pools, 'tenant-l', 'small', smallLoader.load)).sessionLoaded).toBe(false);
      const bigResult = await request(pools, 'tenant-l', 'big', bigLoader.load);
      expect(bigResult.sessionLoaded).toBe(true);
      expect(bigResult.outputs['output']!.data[0]).toBeCloseTo(63, 4);
      expect(pools.poolFor('tenant-l', 'shared').stats().workers[0]!.loadedModels).toEqual(['big']);
      const reloaded = await request(pools, 'tenant-l', 'small', smallLoader.load);
      expect(reloaded.sessionLoaded).toBe(true);
      expect(reloaded.outputs['output']!.data[0]).toBeCloseTo(3, 5);
      expect(reloaded.pid).toBe(first.pid);
      expect(smallLoader.calls()).toBe(2);
      expect(bigLoader.calls()).toBe(1);
      expect(pools.poolFor('tenant-l', 'shared').stats().workers[0]).toMatchObject({ sessionLoads: 3, loadedModels: ['small'] });
    } finally {
      await pools.close();
    }
  });

  it("the parent's byte cache serves reloads without calling load() again; it is keyed per tenant", async () => {
    const pools = new InferencePools({ sessionCacheBytes: big.byteLength });
    try {
      const smallLoader = countingLoader(small);
      const bigLoader = countingLoader(big);
      await request(pools, 'tenant-l', 'small', smallLoader.load);
      await request(pools, 'tenant-l', 'big', bigLoader.load);
      expect((await request(pools, 'tenant-l', 'small', smallLoader.load)).sessionLoaded).toBe(true);
      expect(smallLoader.calls()).toBe(1);
      expect(pools.poolFor('tenant-l', 'shared').stats().workers[0]!.sessionLoads).toBe(3);
      // Same model key, another tenant: its own load() is called, never the first tenant's bytes.
      const otherLoader = countingLoader(small);
      await request(pools, 'tenant-m', 'small', otherLoader.load);
      expect(otherLoader.calls()).toBe(1);
    } finally {
      await pools.close();
    }
  });

  it('an idle pool stops its process; the next call starts a new one and reloads the session', async () => {
    const pools = new InferencePools({ shared: { idleStopMs: 150 } });
    try {
      const first = await request(pools, 'tenant-i', 'small', async () => small);
      await waitFor(() => pools.poolFor('tenant-i', 'shared').stats().workers.length === 0, 'the idle pool to stop');
      await waitFor(() => !isAlive(first.pid), 'the idle process to exit');
      const next = await request(pools, 'tenant-i', 'small', async () => small);
      expect(next.pid).not.toBe(first.pid);
      expect(next.sessionLoaded).toBe(true);
      expect(next.outputs['output']!.data[0]).toBeCloseTo(3, 5);
    } finally {
      await pools.close();
    }
  });

  it('caps live shared pools: an idle one is stopped to make room, a busy one is never stopped (SERVICE_UNAVAILABLE)', async () => {
    const pools = new InferencePools({ maxLiveSharedPools: 1 });
    try {
      const x = await request(pools, 'tenant-x', 'small', async () => small);
      const y = await request(pools, 'tenant-y', 'small', async () => small);
      expect(pools.poolFor('tenant-x', 'shared').stats().workers).toEqual([]);
      await waitFor(() => !isAlive(x.pid), "x's process to exit");
      expect(pools.poolFor('tenant-y', 'shared').stats().workers.map((worker) => worker.pid)).toEqual([y.pid]);

      const hang = predictError(pools, { tenantId: 'tenant-y', tier: 'shared', modelKey: 'slow', load: async () => buildSlowModel({ features: 2 }), inputs: rowsInput([[1, 1]]), timeoutMs: 60_000 });
      await waitFor(() => pools.poolFor('tenant-y', 'shared').stats().workers.some((worker) => worker.busy), "y's run to start");
      const refused = await predictError(pools, { tenantId: 'tenant-x', tier: 'shared', modelKey: 'small', load: async () => small, inputs: rowsInput([[1, 1]]) });
      expect(refused.code).toBe('SERVICE_UNAVAILABLE');
      // Dedicated pools are outside the shared cap.
      const dedicated = await pools.predict({ tenantId: 'tenant-x', tier: 'dedicated', modelKey: 'small', load: async () => small, inputs: rowsInput([[1, 1]]) });
      expect(dedicated.poolId).toBe('dedicated:tenant-x');
      await pools.close();
      expect((await hang).code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await pools.close();
    }
  });

  it('processes that cannot start: calls get SERVICE_UNAVAILABLE after a few attempts, with no detail leaked and nothing left running', async () => {
    const logged: Array<Record<string, unknown> | undefined> = [];
    const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_: string, fields?: Record<string, unknown>) => logged.push(fields), child: () => logger };
    // 1 ms: no process can load the runtime that fast, so every start attempt fails.
    const pools = new InferencePools({ startTimeoutMs: 1 }, logger);
    try {
      const error = await predictError(pools, { tenantId: 'tenant-s', tier: 'shared', modelKey: 'small', load: async () => small, inputs: rowsInput([[1, 1]]) });
      expect(error.code).toBe('SERVICE_UNAVAILABLE');
      expect(error.message).toBe('An inference process could not start; retry later.');
      expect(logged.length).toBeGreaterThanOrEqual(3);
      expect(logged[0]).toMatchObject({ poolId: 'shared:tenant-s' });
      await waitFor(() => inferenceChildren().length === 0, 'the failed starts to be gone');
    } finally {
      await pools.close();
    }
  });

  it('close() stops every process (running, idle and still starting) and later calls get SERVICE_UNAVAILABLE', async () => {
    const pools = new InferencePools({ dedicated: { processes: 3 }, memoryBudgetMb: 65_536 });
    try {
      const served = await Promise.all(
        ['tenant-1', 'tenant-2'].map((tenantId) => request(pools, tenantId, 'small', async () => small)),
      );
      const running = predictError(pools, { tenantId: 'tenant-3', tier: 'shared', modelKey: 'slow', load: async () => buildSlowModel({ features: 2 }), inputs: rowsInput([[1, 1]]), timeoutMs: 60_000 });
      await waitFor(() => pools.poolFor('tenant-3', 'shared').stats().workers.some((worker) => worker.busy), 'the slow run to start');
      // A dedicated pool whose processes are still starting when close() is called.
      const starting = predictError(pools, { tenantId: 'tenant-4', tier: 'dedicated', modelKey: 'small', load: async () => small, inputs: rowsInput([[1, 1]]), batching: false });
      const startingAgain = predictError(pools, { tenantId: 'tenant-4', tier: 'dedicated', modelKey: 'small', load: async () => small, inputs: rowsInput([[1, 1]]), batching: false });
      expect(pools.poolFor('tenant-4', 'dedicated').stats().starting).toBe(2);
      expect(inferenceChildren().length).toBeGreaterThanOrEqual(3);
      const pids = [...served.map((result) => result.pid), ...pools.stats().flatMap((pool) => pool.workers.map((worker) => worker.pid))];

      await pools.close();
      expect((await running).code).toBe('SERVICE_UNAVAILABLE');
      expect((await starting).code).toBe('SERVICE_UNAVAILABLE');
      expect((await startingAgain).code).toBe('SERVICE_UNAVAILABLE');
      expect(pids.length).toBeGreaterThanOrEqual(3);
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
      // Including the ones that were still starting: no inference process of ours is left.
      expect(inferenceChildren()).toEqual([]);
      expect(pools.stats().flatMap((pool) => pool.workers)).toEqual([]);
      expect(pools.stats().every((pool) => pool.starting === 0)).toBe(true);
      const after = await predictError(pools, { tenantId: 'tenant-1', tier: 'shared', modelKey: 'small', load: async () => small, inputs: rowsInput([[1, 1]]) });
      expect(after.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await pools.close();
    }
  });
});
