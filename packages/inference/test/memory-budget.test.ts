import { buildLinearRegression, buildSlowModel } from '@tessera/onnx';
import { InferencePools, type TenantInferenceLimits } from '../src';
import { isAlive, predictError, rowsInput, waitFor } from './helpers';

const mib = 1024 * 1024;
const small = buildLinearRegression({ weights: [1, 2], bias: 0 });
const slow = buildSlowModel({ features: 2 });
const limits = (processMemoryMb: number, processes = 1): TenantInferenceLimits => ({ maxInFlight: 100, maxQueued: 100, processes, intraOpNumThreads: 1, processMemoryMb });

const call = (pools: InferencePools, tenantId: string, processMemoryMb = 300, tier: 'shared' | 'dedicated' = 'shared') =>
  pools.predict({ tenantId, tier, modelKey: 'small', load: async () => small, inputs: rowsInput([[1, 1]]), limits: limits(processMemoryMb) });
const hang = (pools: InferencePools, tenantId: string, processes = 1) =>
  predictError(pools, { tenantId, tier: 'shared', modelKey: 'slow', load: async () => slow, inputs: rowsInput([[1, 1]]), timeoutMs: 120_000, batching: false, limits: limits(300, processes) });
const busyWorkers = (pools: InferencePools, tenantId: string) => pools.poolFor(tenantId, 'shared').stats().workers.filter((worker) => worker.busy).length;

/**
 * INFERENCE_MEMORY_BUDGET_MB: every inference process reserves its memory cap before it starts and
 * gives it back when it has exited; idle pools are stopped (least recently used first) to make
 * room; with nothing idle the call is refused, typed and retryable; one tenant holds at most half.
 */
describe('InferencePools: the inference memory budget', () => {
  it("a tenant's first process stops the least recently used idle pool's process when the budget is full", async () => {
    const pools = new InferencePools({ memoryBudgetMb: 600 });
    try {
      const a = await call(pools, 'budget-a');
      const b = await call(pools, 'budget-b');
      expect(pools.memoryReserved()).toBe(600 * mib);
      const c = await call(pools, 'budget-c');
      expect(c.outputs['output']!.data[0]).toBeCloseTo(3, 5);
      // a was used least recently: its process is gone, b's stays.
      expect(pools.poolFor('budget-a', 'shared').stats().workers).toEqual([]);
      await waitFor(() => !isAlive(a.pid), "a's process to exit");
      expect(pools.poolFor('budget-b', 'shared').stats().workers.map((worker) => worker.pid)).toEqual([b.pid]);
      expect(pools.memoryReserved()).toBe(600 * mib);
      expect([pools.memoryReserved('budget-a'), pools.memoryReserved('budget-c')]).toEqual([0, 300 * mib]);
    } finally {
      await pools.close();
    }
    expect(pools.memoryReserved()).toBe(0);
  });

  it('with every process busy, a call that needs one more is refused SERVICE_UNAVAILABLE (limit, retry) and starts nothing; the busy ones are untouched', async () => {
    const pools = new InferencePools({ memoryBudgetMb: 600 });
    try {
      const x = hang(pools, 'busy-x');
      const y = hang(pools, 'busy-y');
      await waitFor(() => busyWorkers(pools, 'busy-x') === 1 && busyWorkers(pools, 'busy-y') === 1, 'both runs to start');
      const refused = await predictError(pools, { tenantId: 'busy-z', tier: 'shared', modelKey: 'small', load: async () => small, inputs: rowsInput([[1, 1]]), limits: limits(300) });
      expect(refused.code).toBe('SERVICE_UNAVAILABLE');
      expect(refused.extensions).toMatchObject({ limit: 'inferenceMemoryBudget', limitValue: 600, retryAfterSeconds: 1 });
      expect(pools.poolFor('busy-z', 'shared').stats()).toMatchObject({ workers: [], starting: 0, queued: 0 });
      expect([busyWorkers(pools, 'busy-x'), busyWorkers(pools, 'busy-y'), pools.memoryReserved()]).toEqual([1, 1, 600 * mib]);
      await pools.close();
      expect([(await x).code, (await y).code]).toEqual(['SERVICE_UNAVAILABLE', 'SERVICE_UNAVAILABLE']);
    } finally {
      await pools.close();
    }
  });

  it('one tenant holds at most half the budget, whatever processes and cap it is granted: another tenant is still served', async () => {
    const pools = new InferencePools({ memoryBudgetMb: 1200 });
    try {
      // Granted 4 processes, all kept busy: only 2 × 300 MiB fit in its half; its other calls wait for them.
      const hung = [1, 2, 3, 4].map(() => hang(pools, 'greedy', 4));
      await waitFor(() => busyWorkers(pools, 'greedy') === 2, "the greedy tenant's two processes to run");
      expect(pools.poolFor('greedy', 'shared').stats()).toMatchObject({ starting: 0, queued: 2 });
      expect(pools.memoryReserved('greedy')).toBe(600 * mib);
      // A cap larger than a tenant's half is held to the half.
      const big = await call(pools, 'big', 5000);
      expect(pools.poolFor('big', 'shared').stats().resources.processMemoryBytes).toBe(600 * mib);
      expect(big.outputs['output']!.data[0]).toBeCloseTo(3, 5);
      // The greedy tenant's own second pool does not fit in its half: RATE_LIMITED, its own limit.
      const own = await predictError(pools, { tenantId: 'greedy', tier: 'dedicated', modelKey: 'small', load: async () => small, inputs: rowsInput([[1, 1]]), limits: limits(300) });
      expect(own.code).toBe('RATE_LIMITED');
      expect(own.extensions).toMatchObject({ limit: 'inferenceMemoryPerTenant', limitValue: 600, retryAfterSeconds: 1 });
      await pools.close();
      for (const outcome of await Promise.all(hung)) expect(outcome.code).toMatch(/SERVICE_UNAVAILABLE|INFERENCE_TIMEOUT/);
    } finally {
      await pools.close();
    }
  });

  it("a process without a cap of its own is held to a tenant's half of the budget, and reserves it", async () => {
    const pools = new InferencePools({ memoryBudgetMb: 800, processMemoryMb: 0 });
    try {
      await pools.predict({ tenantId: 'uncapped', tier: 'shared', modelKey: 'small', load: async () => small, inputs: rowsInput([[1, 1]]) });
      expect(pools.poolFor('uncapped', 'shared').stats().resources.processMemoryBytes).toBe(400 * mib);
      expect(pools.memoryReserved('uncapped')).toBe(400 * mib);
    } finally {
      await pools.close();
    }
  });
});
