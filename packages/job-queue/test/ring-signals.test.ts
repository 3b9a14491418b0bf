import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { redisAccountFromEnvironment } from '@tessera/redis-acl';
import { JobQueueKeys, openRedis, readRingSignals, releaseRunsOfDeadWorker, sharedPool, TenantLeases, TenantRing, tenantQueueName, type JobMessage, type WorkerPool } from '../src';

const account = redisAccountFromEnvironment();

/** A ring's scaling signals and the release of a dead worker's runs, on real BullMQ queues in the real Redis. */
describe('ring signals and dead-worker release', () => {
  const prefix = `ttest-${randomBytes(4).toString('hex')}`;
  const config = { url: account.url, keyPrefix: prefix, tlsCaFile: account.tlsCaFile };
  const shared = sharedPool('us-east-1');
  const dedicated: WorkerPool = { kind: 'dedicated', tenantId: 'tdedi' };
  let redis: Redis;
  let blocking: Redis;
  let ring: TenantRing;
  const queues: Queue<JobMessage>[] = [];
  const workers: Worker<JobMessage>[] = [];

  const queue = (tenant: string) => {
    const q = new Queue<JobMessage>(tenantQueueName(tenant), { connection: redis, prefix });
    queues.push(q);
    return q;
  };
  const consumer = (tenant: string) => {
    const w = new Worker<JobMessage>(tenantQueueName(tenant), null, { connection: blocking, prefix, autorun: false, lockDuration: 60_000, stalledInterval: 60_000, maxStalledCount: 2 });
    w.on('error', () => undefined);
    workers.push(w);
    return w;
  };
  const enqueue = async (pool: WorkerPool, tenant: string, n: number) => {
    for (let i = 0; i < n; i++) await queue(tenant).add('job', { tenantId: tenant, jobId: `j${randomBytes(4).toString('hex')}`, submission: 1 });
    await ring.add(pool, tenant);
  };

  beforeAll(() => {
    redis = openRedis(config, 'signals-test', 'request');
    blocking = openRedis(config, 'signals-test-worker', 'blocking');
    ring = new TenantRing(redis, prefix);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close(true)));
    await Promise.all(queues.map((q) => q.close()));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await blocking.quit();
  });

  it('counts ready, running and delayed entries and the oldest wait per ring, each ring on its own', async () => {
    expect(await readRingSignals(redis, prefix, shared)).toEqual({ ring: 'shared-us-east-1', queued: 0, running: 0, delayed: 0, oldestWaitMs: 0, tenants: 0 });
    await enqueue(shared, 'ta', 3);
    await enqueue(shared, 'tb', 2);
    await queue('tb').add('job', { tenantId: 'tb', jobId: 'jdelayed', submission: 1 }, { delay: 60_000 });
    await enqueue(dedicated, 'tdedi', 1);
    await sleep(150);
    const running = await consumer('ta').getNextJob('someone:1', { block: false });
    expect(running).toBeDefined();

    const signals = await readRingSignals(redis, prefix, shared);
    expect(signals).toMatchObject({ ring: 'shared-us-east-1', queued: 4, running: 1, delayed: 1, tenants: 2 });
    expect(signals.oldestWaitMs).toBeGreaterThanOrEqual(100);
    expect(signals.oldestWaitMs).toBeLessThan(30_000);
    // The dedicated tenant's flood is in its own ring only.
    expect(await readRingSignals(redis, prefix, dedicated)).toMatchObject({ ring: 'dedicated-tdedi', queued: 1, running: 0, tenants: 1 });
    await running!.moveToCompleted('done', 'someone:1', false);
  });

  it('releases exactly the dead instance\'s locks and leases; the next stalled check puts its entry back at once', async () => {
    const tenant = 'tc';
    await enqueue(shared, tenant, 2);
    const dead = consumer(tenant);
    const deadRun = (await dead.getNextJob('w-dead:abc', { block: false }))!;
    const aliveRun = (await dead.getNextJob('w-alive:def', { block: false }))!;
    const leases = new TenantLeases(redis, prefix, 60_000);
    expect(await leases.acquire(tenant, 'w-dead:0:x', 4)).toBe(true);
    expect(await leases.acquire(tenant, 'w-alive:0:y', 4)).toBe(true);
    const keys = new JobQueueKeys(prefix);

    const released = await releaseRunsOfDeadWorker(redis, prefix, shared, 'w-dead');
    expect(released).toEqual({ entries: 1, leases: 1 });
    expect(await redis.exists(keys.tenantQueue(tenant, `${deadRun.id}:lock`))).toBe(0);
    expect(await redis.get(keys.tenantQueue(tenant, `${aliveRun.id}:lock`))).toBe('w-alive:def');
    expect(await redis.zrange(keys.leases(tenant), 0, -1)).toEqual(['w-alive:0:y']);
    // Released twice: nothing more (the lock is gone, not someone else's taken).
    expect(await releaseRunsOfDeadWorker(redis, prefix, shared, 'w-dead')).toEqual({ entries: 0, leases: 0 });

    // A fresh consumer's first stalled check moves the dead run's entry back to wait, not the live one.
    const recovering = consumer(tenant);
    void recovering.startStalledCheckTimer();
    const deadline = Date.now() + 5_000;
    while ((await redis.lrange(keys.tenantQueue(tenant, 'wait'), 0, -1)).indexOf(String(deadRun.id)) < 0 && Date.now() < deadline) await sleep(50);
    expect(await redis.lrange(keys.tenantQueue(tenant, 'wait'), 0, -1)).toContain(String(deadRun.id));
    expect(await redis.lrange(keys.tenantQueue(tenant, 'active'), 0, -1)).toEqual([String(aliveRun.id)]);
    const again = (await recovering.getNextJob('w-new:1', { block: false }))!;
    expect(again.id).toBe(deadRun.id);
    expect(again.stalledCounter).toBe(1);
  });

  it('a worker of another ring is not released by a ring it never served', async () => {
    const tenant = 'tdedi';
    const run = (await consumer(tenant).getNextJob('w-ded:1', { block: false }))!;
    // The shared ring's supervisor looks only at the shared ring's tenants.
    expect(await releaseRunsOfDeadWorker(redis, prefix, shared, 'w-ded')).toEqual({ entries: 0, leases: 0 });
    expect(await releaseRunsOfDeadWorker(redis, prefix, dedicated, 'w-ded')).toEqual({ entries: 1, leases: 0 });
    expect(run.id).toBeDefined();
  });
});
