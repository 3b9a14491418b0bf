/**
 * An erased tenant leaves no model in any models replica's memory: its inference pools (the child
 * processes and the ONNX sessions they hold) and its cached model files go, in this process's
 * models service and in a second replica running in another process, told through Redis as every
 * replica is. The other tenant's pools stay and keep answering.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { LogFields, Logger } from '@tessera/config';
import type { PoolStats } from '@tessera/inference';
import { redisOf } from '@tessera/platform';
import { quoteIdentifier, TenantStore } from '@tessera/tenancy';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { createErasureRunner, createProvisioner } from '@tessera/tenants';
import { TenantErasureListener } from '../src/serving/tenant-erasure-listener';
import { linearModel, newModel, predict, rowsInput, uploadVersion } from './model-flow';

const repoRoot = join(__dirname, '..', '..', '..');

interface Replica {
  child: ChildProcess;
  stats(): Promise<PoolStats[]>;
  stop(): Promise<void>;
}

/** The second replica: its own pools for `tenants`, listening for erasures like the models service. */
async function startReplica(stack: TestStack, tenants: string[]): Promise<Replica> {
  const redis = redisOf('models', stack.config.redis, stack.config.redisByService);
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'subgraphs/models/test/fixtures/inference-replica.ts')], {
    cwd: repoRoot,
    env: { ...process.env, REPLICA_CONFIG: JSON.stringify({ redis, tenants }) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const next = (type: string) =>
    new Promise<PoolStats[]>((resolve, reject) => {
      const onMessage = (message: { type: string; stats: PoolStats[] }) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message.stats);
      };
      const onExit = (code: number | null) => reject(new Error(`replica exited (${code}): ${stderr}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  await next('ready');
  return {
    child,
    stats: () => {
      const answer = next('stats');
      child.send('stats');
      return answer;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const pidsOf = (stats: PoolStats[], tenantId: string) => stats.filter((pool) => pool.tenantId === tenantId).flatMap((pool) => pool.workers.map((worker) => worker.pid));
const tenantsOf = (stats: PoolStats[]) => [...new Set(stats.map((pool) => pool.tenantId))].sort();

let stack: TestStack;
let a: TestTenant;
let b: TestTenant;
let replica: Replica | undefined;

beforeAll(async () => {
  stack = await startTestStack();
  a = await stack.createTenant();
  b = await stack.createTenant();
}, 120_000);
afterAll(async () => {
  await replica?.stop();
  await stack?.stop();
});

async function servedModel(tenant: TestTenant): Promise<{ modelId: string; token: string }> {
  const token = await tenant.token('admin');
  const modelId = await newModel(stack, token, 'served');
  await uploadVersion(stack, token, modelId, linearModel());
  expectNoErrors(await predict(stack, token, { modelId, version: 1, inputs: [rowsInput([[1, 2, 3]])] }));
  return { modelId, token };
}

describe('erasing a tenant: its inference pools and cached sessions', () => {
  it('go from this models service and from a replica in another process; the other tenant keeps its own', async () => {
    await servedModel(a);
    const modelB = await servedModel(b);
    const pools = stack.platform.modelServing.pools;
    expect(tenantsOf(pools.stats())).toEqual([a.id, b.id].sort());
    const localPidsA = pidsOf(pools.stats(), a.id);
    expect(localPidsA.length).toBeGreaterThan(0);
    expect(pools.stats().find((pool) => pool.tenantId === a.id)!.workers[0]!.loadedModels.length).toBe(1);

    replica = await startReplica(stack, [a.id, b.id]);
    const before = await replica.stats();
    expect(tenantsOf(before)).toEqual([a.id, b.id].sort());
    const replicaPidsA = pidsOf(before, a.id);
    expect(replicaPidsA.length).toBeGreaterThan(0);
    expect(replicaPidsA.every(alive)).toBe(true);

    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: { id: string } }>(await a.token('admin'), `mutation($c: String!) { requestTenantErasure(confirm: $c) { id } }`, { c: a.id })).requestTenantErasure;
    await stack.adminQuery(`UPDATE ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_erasures SET scheduled_for = ? WHERE id = ?`, [new Date(Date.now() - 1000), erasure.id]);
    const runtime = stack.platform.runtimes.tenants;
    const built = createErasureRunner(runtime, { audit: stack.platform.ports.audit }, createProvisioner(runtime, { regions: stack.config.regions }))!;
    try {
      expect(await built.runner.runDue()).toEqual([erasure.id]);
    } finally {
      await built.announcer.close();
    }

    // This process's models service: A's pool and its processes are gone, B's pool is there.
    const local = await eventually(() => pools.stats(), (stats) => !tenantsOf(stats).includes(a.id));
    expect(tenantsOf(local)).toEqual([b.id]);
    expect(await eventually(() => localPidsA.filter(alive), (left) => left.length === 0)).toEqual([]);
    // The replica in the other process was told too.
    const after = await eventually(() => replica!.stats(), (stats) => !tenantsOf(stats).includes(a.id));
    expect(tenantsOf(after)).toEqual([b.id]);
    expect(await eventually(() => replicaPidsA.filter(alive), (left) => left.length === 0)).toEqual([]);
    expect(pidsOf(after, b.id).every(alive)).toBe(true);
    // B is served as before.
    expectNoErrors(await predict(stack, modelB.token, { modelId: modelB.modelId, version: 1, inputs: [rowsInput([[1, 2, 3]])] }));
  }, 180_000);

  it('a replica that missed the announcement drops pools of tenants that no longer exist when it reconciles', async () => {
    const pools = stack.platform.modelServing.pools;
    // A pool for a tenant id the control plane does not know (as if its erasure was announced while this replica was away).
    const ghost = 'ghost-tenant';
    await pools.predict({ tenantId: ghost, tier: 'shared', modelKey: 'ghost:linear', load: async () => linearModel(), inputs: { input: { type: 'float32', data: [1, 2, 3], dims: [1, 3] } }, batching: false });
    expect(tenantsOf(pools.stats())).toContain(ghost);
    const models = stack.platform.runtimes.models;
    const listener = new TenantErasureListener(
      { tenantIds: () => pools.tenantIds(), forgetTenant: (tenantId) => pools.forgetTenant(tenantId), exists: async (tenantId) => (await models.tenants.find(tenantId)) !== undefined },
      models.config.redis,
      models.logger,
    );
    try {
      await listener.reconcile();
    } finally {
      await listener.close();
    }
    expect(tenantsOf(pools.stats())).toEqual([b.id]);
  }, 60_000);

  it('a lookup that fails while it reconciles (control plane unreachable) is logged for that tenant; the others are still reconciled; nothing escapes', async () => {
    const pools = stack.platform.modelServing.pools;
    const models = stack.platform.runtimes.models;
    const [ghost, unreachable] = ['ghost-tenant-2', 'tenant-behind-a-closed-pool'];
    for (const tenantId of [unreachable, ghost]) {
      await pools.predict({ tenantId, tier: 'shared', modelKey: `${tenantId}:linear`, load: async () => linearModel(), inputs: { input: { type: 'float32', data: [1, 2, 3], dims: [1, 3] } }, batching: false });
    }
    // The control plane as a closed connection pool, for one tenant's lookup.
    const closed = new TenantStore(new DataSource(models.db.options), stack.config.database.controlSchema);
    const logged: Array<{ level: string; message: string; fields: LogFields | undefined }> = [];
    const at = (level: string) => (message: string, fields?: LogFields) => void logged.push({ level, message, fields });
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: at('warn'), error: at('error'), child: () => logger };
    const listener = new TenantErasureListener(
      {
        tenantIds: () => pools.tenantIds(),
        forgetTenant: (tenantId) => pools.forgetTenant(tenantId),
        exists: async (tenantId) => (await (tenantId === unreachable ? closed : models.tenants).find(tenantId)) !== undefined,
      },
      models.config.redis,
      logger,
    );
    try {
      await listener.reconcile();
    } finally {
      await listener.close();
    }
    expect(tenantsOf(pools.stats())).toEqual([b.id, unreachable].sort());
    expect(logged.filter((line) => line.level !== 'info')).toEqual([
      { level: 'warn', message: 'could not check whether a tenant still exists; its pools stay until the next reconciliation', fields: expect.objectContaining({ tenantId: unreachable }) },
    ]);
    await pools.forgetTenant(unreachable);
  }, 60_000);
});
