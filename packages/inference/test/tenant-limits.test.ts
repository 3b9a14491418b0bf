import { readFileSync } from 'node:fs';
import { buildLinearRegression, buildMemoryHungryModel, buildSlowModel } from '@tessera/onnx';
import { InferencePools, type PredictResult, type TenantInferenceLimits } from '../src';
import { inferenceChildren, isAlive, predictError, rowsInput, waitFor } from './helpers';

const linear = buildLinearRegression({ weights: [1, 1, 1, 1], bias: 0 });
const slow = buildSlowModel({ features: 4 });
const hungry = buildMemoryHungryModel({ features: 4, megabytesPerRow: 512 });
const models = { linear, slow, hungry };
const row = [[1, 2, 3, 4]];

const generous: TenantInferenceLimits = { maxInFlight: 100, maxQueued: 100, processes: 1, intraOpNumThreads: 1, processMemoryMb: 2048 };

/** One tenant's view of the pools, with its limits as the models service would pass them from its tenant record. */
function tenant(pools: InferencePools, tenantId: string, initial: Partial<TenantInferenceLimits> = {}) {
  let limits: TenantInferenceLimits = { ...generous, ...initial };
  const pool = () => pools.poolFor(tenantId, 'shared');
  return {
    id: tenantId,
    setLimits: (change: Partial<TenantInferenceLimits>) => {
      limits = { ...limits, ...change };
    },
    request: (model: keyof typeof models, options: { timeoutMs?: number } = {}) => ({
      tenantId,
      tier: 'shared' as const,
      modelKey: `${tenantId}-${model}`,
      load: async () => models[model],
      inputs: rowsInput(row),
      batching: false as const,
      limits,
      ...options,
    }),
    predict(model: keyof typeof models, options: { timeoutMs?: number } = {}): Promise<PredictResult> {
      return pools.predict(this.request(model, options));
    },
    pids: () => pool().stats().workers.map((worker) => worker.pid),
    busyCount: () => pool().stats().workers.filter((worker) => worker.busy).length,
    queued: () => pool().stats().queued,
    stats: () => pool().stats(),
  };
}

/** Threads of a live process (Linux /proc). */
function threadsOf(pid: number): number {
  return Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

/** Settles a promise into its error (or `undefined` when it succeeded), so it can be awaited later without an unhandled rejection. */
const settle = (promise: Promise<unknown>) => promise.then(
  () => undefined,
  (error: unknown) => error as { code?: string; extensions?: Record<string, unknown> },
);

describe('per-tenant inference limits', () => {
  // Thread bound above this box's core count, so the thread test does not depend on the machine.
  // Room in the memory budget for every process these tests start (the budget has its own tests: memory-budget.test.ts).
  const pools = new InferencePools({ memoryCheckIntervalMs: 50, maxThreadsPerProcess: 8, memoryBudgetMb: 65_536 });
  afterAll(async () => {
    await pools.close();
    expect(inferenceChildren()).toEqual([]);
  });

  it('predictions in flight: over the limit is QUOTA_EXCEEDED with quota, limit and usage, while another tenant keeps being served', async () => {
    const a = tenant(pools, 'inflight-a');
    const b = tenant(pools, 'inflight-b', { maxInFlight: 2 });
    await a.predict('linear');
    const hung = [settle(b.predict('slow', { timeoutMs: 4_000 })), settle(b.predict('slow', { timeoutMs: 4_000 }))];
    await waitFor(() => b.busyCount() === 1 && b.queued() === 1, "B's two calls to be in flight");
    expect(pools.inFlightCount(b.id)).toBe(2);

    const refused = await predictError(pools, b.request('linear'));
    expect(refused.code).toBe('QUOTA_EXCEEDED');
    expect(refused.extensions).toMatchObject({ quota: 'maxPredictionsInFlight', limit: 2, used: 2 });
    // Refused before queueing: nothing more waits in B's pool.
    expect(b.queued()).toBe(1);

    // Tenant A, same pools, same moment: served.
    const served = await a.predict('linear');
    expect(served.outputs['output']!.data[0]).toBeCloseTo(10, 5);

    for (const error of await Promise.all(hung)) expect(error?.code).toBe('INFERENCE_TIMEOUT');
    expect(pools.inFlightCount(b.id)).toBe(0);
    expect((await b.predict('linear')).outputs['output']!.data[0]).toBeCloseTo(10, 5);
  });

  it('queued predictions: over the per-tenant queue limit is QUOTA_EXCEEDED, the other tenant is unaffected', async () => {
    const a = tenant(pools, 'queue-a', { maxQueued: 1 });
    const b = tenant(pools, 'queue-b', { maxQueued: 1 });
    await a.predict('linear');
    const running = settle(b.predict('slow', { timeoutMs: 4_000 }));
    await waitFor(() => b.busyCount() === 1, "B's slow run to start");
    const waiting = settle(b.predict('slow', { timeoutMs: 4_000 }));
    expect(b.queued()).toBe(1);

    const refused = await predictError(pools, b.request('linear'));
    expect(refused.code).toBe('QUOTA_EXCEEDED');
    expect(refused.extensions).toMatchObject({ quota: 'maxQueuedPredictions', limit: 1, used: 1, poolId: 'shared:queue-b' });

    // A has the same queue limit but its own queue: a burst of its own within the limit is served.
    const burst = await Promise.all([a.predict('linear'), a.predict('linear')]);
    for (const result of burst) expect(result.outputs['output']!.data[0]).toBeCloseTo(10, 5);

    expect((await running)?.code).toBe('INFERENCE_TIMEOUT');
    expect((await waiting)?.code).toBe('INFERENCE_TIMEOUT');
  });

  it('processes and threads come from the limits of each call: the pool grows, shrinks and restarts with the new thread count', async () => {
    const a = tenant(pools, 'cpu-a', { processes: 2, intraOpNumThreads: 1 });
    const reference = tenant(pools, 'cpu-ref', { processes: 1, intraOpNumThreads: 1 });

    // Two concurrent calls on an empty pool of 2 start two processes (the first one up may serve
    // both calls before the second is ready, so wait for the process, not for a call on it).
    await Promise.all([a.predict('linear'), a.predict('linear')]);
    await waitFor(() => a.stats().workers.length === 2, 'the second process to start');
    expect(a.stats().workers.map((worker) => worker.intraOpNumThreads)).toEqual([1, 1]);
    expect(a.stats().resources).toMatchObject({ processes: 2, intraOpNumThreads: 1 });
    const before = a.pids();

    // Down to one process: the surplus idle process stops at the next call.
    a.setLimits({ processes: 1 });
    const shrunk = await a.predict('linear');
    expect(a.pids()).toEqual([shrunk.pid]);
    await waitFor(() => before.filter(isAlive).length === 1, 'the surplus process to stop');

    // A new thread count: the process is replaced by one whose sessions use it.
    a.setLimits({ intraOpNumThreads: 6 });
    const rethreaded = await a.predict('linear');
    expect(rethreaded.pid).not.toBe(shrunk.pid);
    expect(rethreaded.sessionLoaded).toBe(true);
    await waitFor(() => !isAlive(shrunk.pid), 'the process with the old thread count to stop');
    expect(a.stats().workers).toEqual([expect.objectContaining({ pid: rethreaded.pid, intraOpNumThreads: 6 })]);

    // The runtime really created the session with 6 intra-op threads: 5 more OS threads than the
    // same model in a 1-thread process (Node's own threads vary by one or two between processes).
    const single = await reference.predict('linear');
    expect(threadsOf(rethreaded.pid) - threadsOf(single.pid)).toBeGreaterThanOrEqual(3);
    expect(inferenceChildren()).toEqual(expect.arrayContaining([rethreaded.pid, single.pid]));
  });

  it('a process over the memory limit is killed: only its calls fail with INFERENCE_FAILED / MEMORY_LIMIT, other tenants keep being served, the pool recovers', async () => {
    const a = tenant(pools, 'memory-a', { processMemoryMb: 300 });
    const b = tenant(pools, 'memory-b');
    const warm = await a.predict('linear');
    const bWarm = await b.predict('linear');

    let hogSettled = false;
    const hog = settle(a.predict('hungry', { timeoutMs: 60_000 })).finally(() => {
      hogSettled = true;
    });
    // The kill can come within one check interval of the run starting: wait for either.
    await waitFor(() => a.busyCount() === 1 || hogSettled, "A's memory-hungry run to start");
    const bDuring = await b.predict('linear');
    expect(bDuring.outputs['output']!.data[0]).toBeCloseTo(10, 5);

    const error = await hog;
    expect(error?.code).toBe('INFERENCE_FAILED');
    expect(error?.extensions).toMatchObject({ reason: 'MEMORY_LIMIT', limitMb: 300, modelKey: 'memory-a-hungry' });
    expect(Number(error?.extensions?.['usedMb'])).toBeGreaterThan(300);
    expect(isAlive(warm.pid)).toBe(false);

    // B's process was never touched; A's pool is back with a fresh process.
    expect(b.pids()).toEqual([bWarm.pid]);
    expect((await b.predict('linear')).pid).toBe(bWarm.pid);
    const recovered = await a.predict('linear');
    expect(recovered.outputs['output']!.data[0]).toBeCloseTo(10, 5);
    expect(recovered.pid).not.toBe(warm.pid);
  });

  it("limits beyond the host's bounds are capped by them", async () => {
    const bounded = new InferencePools({ maxProcessesPerPool: 2, maxThreadsPerProcess: 2 });
    try {
      const a = tenant(bounded, 'bounded-a', { processes: 1_000, intraOpNumThreads: 1_000 });
      await a.predict('linear');
      expect(a.stats().resources).toMatchObject({ processes: 2, intraOpNumThreads: 2 });
      expect(a.stats().workers).toEqual([expect.objectContaining({ intraOpNumThreads: 2 })]);
    } finally {
      await bounded.close();
    }
  });

  it('limits that are not positive integers are BAD_USER_INPUT naming the limit, and nothing is started', async () => {
    const error = await predictError(pools, { ...tenant(pools, 'bad-limits').request('linear'), limits: { ...generous, intraOpNumThreads: 0 } });
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.extensions['field']).toBe('limits.intraOpNumThreads');
    expect(pools.stats().find((pool) => pool.tenantId === 'bad-limits')).toBeUndefined();
  });
});
