import { readFileSync } from 'node:fs';
import { buildFailingModel, buildLinearRegression, buildSlowModel } from '@tessera/onnx';
import { InferencePools } from '../src';
import { inferenceChildren, isAlive, predictError, rowsInput, waitFor } from './helpers';

const linear = buildLinearRegression({ weights: [1, 1, 1, 1], bias: 0 });
const slow = buildSlowModel({ features: 4 });
const failing = buildFailingModel({ features: 4 });
const row = [[1, 2, 3, 4]];

/** One tenant's view of the pools: predict with a named fixture, the pool's pids. */
function tenant(pools: InferencePools, tenantId: string, tier: 'shared' | 'dedicated' = 'shared') {
  const models: Record<string, Uint8Array> = { linear, slow, failing };
  return {
    predict: (model: keyof typeof models, options: { timeoutMs?: number } = {}) =>
      pools.predict({ tenantId, tier, modelKey: `${tenantId}-${model}`, load: async () => models[model]!, inputs: rowsInput(row), batching: false, ...options }),
    pids: () => pools.poolFor(tenantId, tier).stats().workers.map((worker) => worker.pid),
    busy: () => pools.poolFor(tenantId, tier).stats().workers.some((worker) => worker.busy),
  };
}

describe('tenant isolation of inference pools', () => {
  // Room in the memory budget for every process these tests start (the budget has its own tests: memory-budget.test.ts).
  const pools = new InferencePools({ shared: { processes: 1 }, dedicated: { processes: 2 }, memoryBudgetMb: 65_536 });
  const seenPids = new Set<number>();
  pools.onRecord(() => pools.stats().forEach((pool) => pool.workers.forEach((worker) => seenPids.add(worker.pid))));
  afterAll(async () => {
    await pools.close();
    for (const pid of seenPids) expect(isAlive(pid)).toBe(false);
    expect(inferenceChildren()).toEqual([]);
  });

  it("tenant A's endless model times out with INFERENCE_TIMEOUT while tenant B is served meanwhile; A's pool recovers", async () => {
    const a = tenant(pools, 'tenant-a');
    const b = tenant(pools, 'tenant-b');
    await a.predict('linear');
    const bWarm = await b.predict('linear');
    const [aPid] = a.pids();

    const order: string[] = [];
    const aHang = a.predict('slow', { timeoutMs: 4_000 }).then(
      () => order.push('A succeeded'),
      (error: unknown) => {
        order.push('A failed');
        return error;
      },
    );
    await waitFor(a.busy, "A's run to start");
    const bDuring = await b.predict('linear');
    order.push('B served');
    expect(bDuring.outputs['output']!.data[0]).toBeCloseTo(10, 5);
    expect(bDuring.pid).toBe(bWarm.pid);

    const error = (await aHang) as { code?: string; extensions?: Record<string, unknown> };
    expect(order).toEqual(['B served', 'A failed']);
    expect(error.code).toBe('INFERENCE_TIMEOUT');
    expect(error.extensions?.['phase']).toBe('RUNNING');
    // The hung process was killed; B's process was never touched.
    expect(isAlive(aPid!)).toBe(false);
    expect(b.pids()).toEqual([bWarm.pid]);

    const recovered = await a.predict('linear');
    expect(recovered.outputs['output']!.data[0]).toBeCloseTo(10, 5);
    expect(recovered.pid).not.toBe(aPid);
    expect(recovered.sessionLoaded).toBe(true);
  });

  it('a model that throws inside session.run gives INFERENCE_FAILED and the same process then serves a good model', async () => {
    const a = tenant(pools, 'tenant-a');
    const warm = await a.predict('linear');
    const error = await predictError(pools, { tenantId: 'tenant-a', tier: 'shared', modelKey: 'tenant-a-failing', load: async () => failing, inputs: rowsInput(row) });
    expect(error.code).toBe('INFERENCE_FAILED');
    expect(error.extensions['reason']).toBe('RUNTIME_ERROR');
    const after = await a.predict('linear');
    expect(after.pid).toBe(warm.pid);
    expect(after.outputs['output']!.data[0]).toBeCloseTo(10, 5);
  });

  it('concurrent calls to a failing model each get their own typed error (a failed merged run is retried call by call)', async () => {
    const calls = [1, 2, 3].map(() =>
      predictError(pools, { tenantId: 'tenant-a', tier: 'shared', modelKey: 'tenant-a-failing-batched', load: async () => failing, inputs: rowsInput(row), batching: { maxBatchSize: 8, maxDelayMs: 20 } }),
    );
    for (const error of await Promise.all(calls)) {
      expect(error.code).toBe('INFERENCE_FAILED');
      expect(error.extensions['reason']).toBe('RUNTIME_ERROR');
    }
    expect((await tenant(pools, 'tenant-a').predict('linear')).outputs['output']!.data[0]).toBeCloseTo(10, 5);
  });

  it('killing the process mid-call fails that call with INFERENCE_FAILED (CRASHED); the next call works on a new process', async () => {
    const a = tenant(pools, 'tenant-a');
    const b = tenant(pools, 'tenant-b');
    const bBefore = b.pids();
    const hang = predictError(pools, { tenantId: 'tenant-a', tier: 'shared', modelKey: 'tenant-a-slow', load: async () => slow, inputs: rowsInput(row), timeoutMs: 120_000 });
    await waitFor(a.busy, "A's run to start");
    const [victim] = a.pids();
    process.kill(victim!, 'SIGKILL');
    const error = await hang;
    expect(error.code).toBe('INFERENCE_FAILED');
    expect(error.extensions['reason']).toBe('CRASHED');
    expect(error.message).toContain('SIGKILL');

    const next = await a.predict('linear');
    expect(next.pid).not.toBe(victim);
    expect(next.outputs['output']!.data[0]).toBeCloseTo(10, 5);
    expect(b.pids()).toEqual(bBefore);
  });

  it('calls queued behind a hung run time out in the queue, and a full queue answers QUOTA_EXCEEDED', async () => {
    const small = new InferencePools({ maxQueuedPerPool: 2 });
    try {
      const q = tenant(small, 'tenant-q');
      const hang = predictError(small, { tenantId: 'tenant-q', tier: 'shared', modelKey: 'q-slow', load: async () => slow, inputs: rowsInput(row), timeoutMs: 60_000 });
      await waitFor(q.busy, 'the hung run to start');
      const queuedShort = predictError(small, { tenantId: 'tenant-q', tier: 'shared', modelKey: 'q-linear', load: async () => linear, inputs: rowsInput(row), timeoutMs: 300 });
      const queuedLong = predictError(small, { tenantId: 'tenant-q', tier: 'shared', modelKey: 'q-linear', load: async () => linear, inputs: rowsInput(row), timeoutMs: 60_000 });
      const overflow = await predictError(small, { tenantId: 'tenant-q', tier: 'shared', modelKey: 'q-linear', load: async () => linear, inputs: rowsInput(row) });
      expect(overflow.code).toBe('QUOTA_EXCEEDED');
      expect(overflow.extensions['limit']).toBe(2);
      const timedOut = await queuedShort;
      expect(timedOut.code).toBe('INFERENCE_TIMEOUT');
      expect(timedOut.extensions['phase']).toBe('QUEUED');
      // Another tenant on the same InferencePools is not limited by tenant-q's queue.
      const other = await tenant(small, 'tenant-r').predict('linear');
      expect(other.poolId).toBe('shared:tenant-r');
      await small.close();
      expect((await hang).code).toBe('SERVICE_UNAVAILABLE');
      expect((await queuedLong).code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await small.close();
    }
  });

  it("a dedicated tenant's pool serves only that tenant: its pool id and processes never run another tenant's call", async () => {
    const dedicated = tenant(pools, 'tenant-d', 'dedicated');
    const others = [tenant(pools, 'tenant-e'), tenant(pools, 'tenant-f'), tenant(pools, 'tenant-d', 'shared')];
    const rounds = await Promise.all(
      Array.from({ length: 6 }, async () => ({
        dedicated: await dedicated.predict('linear'),
        others: await Promise.all(others.map((other) => other.predict('linear'))),
      })),
    );
    const dedicatedPool = pools.poolFor('tenant-d', 'dedicated');
    expect(dedicatedPool.id).toBe('dedicated:tenant-d');
    const dedicatedPids = new Set(dedicatedPool.stats().workers.map((worker) => worker.pid));
    expect(dedicatedPids.size).toBe(2);
    for (const round of rounds) {
      expect(round.dedicated.poolId).toBe('dedicated:tenant-d');
      expect(dedicatedPids.has(round.dedicated.pid)).toBe(true);
      for (const other of round.others) {
        expect(other.poolId).not.toBe('dedicated:tenant-d');
        expect(dedicatedPids.has(other.pid)).toBe(false);
      }
    }
    // Every other pool has its own processes, disjoint from the dedicated ones.
    for (const stats of pools.stats().filter((pool) => pool.id !== dedicatedPool.id)) {
      for (const worker of stats.workers) expect(dedicatedPids.has(worker.pid)).toBe(false);
    }
  });
});

describe("the inference children's environment", () => {
  // What a service's container holds (docker-compose.yml, deploy/kubernetes): credentials a child
  // running a tenant's ONNX file must never see.
  const secrets = {
    DATABASE_URL: 'mysql://tessera_models:db-secret@mysql:3306',
    REDIS_URL: 'rediss://tessera-models:redis-secret@redis:6380',
    S3_ACCESS_KEY: 'tessera-service',
    S3_SECRET_KEY: 's3-secret',
    PORT_CALLER_KEYS: 'port-caller-secret',
    INTERNAL_CONTEXT_PUBLIC_KEY: 'internal-context-key',
  };
  const saved = Object.fromEntries(Object.keys(secrets).map((name) => [name, process.env[name]]));
  const pools = new InferencePools({ shared: { processes: 1 } });
  beforeAll(() => Object.assign(process.env, secrets));
  afterAll(async () => {
    await pools.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("holds none of the service's credentials, and the child still serves", async () => {
    const result = await tenant(pools, 'tenant-env').predict('linear');
    expect(result.outputs['output']!.data[0]).toBeCloseTo(10, 5);
    const environ = readFileSync(`/proc/${result.pid}/environ`, 'utf8').split('\0').filter(Boolean);
    const names = environ.map((entry) => entry.slice(0, entry.indexOf('=')));
    for (const name of Object.keys(secrets)) expect(names).not.toContain(name);
    for (const value of Object.values(secrets)) expect(environ.some((entry) => entry.includes(value))).toBe(false);
    expect(names).toContain('TESSERA_INFERENCE_WORKER_SETTINGS');
  });
});
