/**
 * The Redis ACL of each service (packages/redis-acl), against a real Redis with the ACL on: a
 * throwaway redis-server on a free port, so the shared development Redis is never touched. Each
 * refusal is checked beside the same service doing its own work, so a test passes only if the
 * ACL is neither too wide nor too narrow.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createLogger, type RedisConfig } from '@tessera/config';
import { createEventBus } from '@tessera/events';
import { countLiveLeases, JobQueueKeys, JobQueues, PoolSlots, sharedPool, TenantLeases, TenantRing, tenantQueueName } from '@tessera/job-queue';
import { PredictionsPerMinute, ServingGenerations, servingGenerationKey } from '@tessera/models';
import { LiveQuotaKeys, minuteOf, readCostUnitsInMinute, readOpenSubscriptions, readPredictionsInFlight, readPredictionsInMinute } from '@tessera/quotas';
import { aclFileTemplate, applyAcls, defaultUserLine, dedicatedWorkerAcl, redisAdminUser, redisConfigAs, redisServices, serviceAcl, type RedisService } from '@tessera/redis-acl';
import { SharedSubscriptionSlots } from '@tessera/gateway';

const prefix = 'acltest';
const acme = 'acme-corp';
const globex = 'globex-inc';
const logger = createLogger('silent');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let server: ChildProcess;
let dir: string;
let base: RedisConfig;
let admin: Redis;
const adminPassword = 'admin-secret';
const passwordOf = (user: string) => `${user}-secret`;
const as = (service: RedisService): RedisConfig => redisConfigAs(base, serviceAcl(prefix, service).user, passwordOf(serviceAcl(prefix, service).user));
const asDedicated = (tenantId: string): RedisConfig => redisConfigAs(base, dedicatedWorkerAcl(prefix, tenantId).user, passwordOf(dedicatedWorkerAcl(prefix, tenantId).user));
const opened: Redis[] = [];
const connect = (config: RedisConfig): Redis => {
  const redis = new Redis(config.url, { maxRetriesPerRequest: 0, lazyConnect: false });
  redis.on('error', () => undefined);
  opened.push(redis);
  return redis;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-redis-acl-'));
  const port = await freePort();
  server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  base = { url: `redis://127.0.0.1:${port}`, keyPrefix: prefix };
  for (let i = 0; ; i++) {
    const probe = new Redis(base.url, { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      // Set up as local-services.sh does on a fresh machine: admin first, then the default user off.
      await probe.call('ACL', 'SETUSER', redisAdminUser, 'on', `>${adminPassword}`, '~*', '&*', '+@all');
      probe.disconnect();
      break;
    } catch (error) {
      probe.disconnect();
      if (i > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  admin = connect(redisConfigAs(base, redisAdminUser, adminPassword));
  await admin.call('ACL', 'SETUSER', 'default', ...defaultUserLine.split(' ').slice(2));
  await applyAcls(admin, [
    ...redisServices.map((service) => serviceAcl(prefix, service)),
    dedicatedWorkerAcl(prefix, acme),
  ].map((acl) => ({ acl, passwords: [passwordOf(acl.user)] })));
});

afterAll(async () => {
  // quit only what is connected: a refused connection would wait for a reconnect that never succeeds.
  await Promise.all(opened.map((connection) => (connection.status === 'ready' ? connection.quit().then(() => undefined, () => connection.disconnect()) : connection.disconnect())));
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server?.kill('SIGKILL');
  await exited;
  rmSync(dir, { recursive: true, force: true });
});

const noPermission = /NOPERM|NOAUTH/;

describe('Redis ACL: the default user', () => {
  it('cannot do anything without credentials', async () => {
    // No ready check: its INFO would be refused before the commands under test are sent.
    const anonymous = new Redis(base.url, { maxRetriesPerRequest: 0, enableReadyCheck: false });
    anonymous.on('error', () => undefined);
    opened.push(anonymous);
    await expect(anonymous.get(`${prefix}:jobs:start-seq`)).rejects.toThrow(/NOAUTH/);
    await expect(anonymous.publish(`${prefix}:tenant:${acme}:jobs`, '{}')).rejects.toThrow(/NOAUTH/);
    // The same command as the admin works: it is the missing credentials that are refused.
    expect(await admin.get(`${prefix}:jobs:start-seq`)).toBeNull();
  });

  it('cannot log in as the default user with any password', async () => {
    const asDefault = connect(redisConfigAs(base, 'default', adminPassword));
    await expect(asDefault.ping()).rejects.toThrow(/WRONGPASS|NOAUTH/);
  });

  it('cannot log in as a service with a wrong password', async () => {
    const wrong = connect(redisConfigAs(base, serviceAcl(prefix, 'gateway').user, 'guess'));
    await expect(wrong.ping()).rejects.toThrow(/WRONGPASS|NOAUTH/);
  });
});

describe('Redis ACL: gateway', () => {
  it('keeps its rate-limit counters and subscription slots', async () => {
    const gateway = connect(as('gateway'));
    const keys = new LiveQuotaKeys(prefix);
    const key = keys.costPerMinute(acme, minuteOf(Date.now()));
    const replies = await gateway.pipeline().incrby(key, 5).pexpire(key, 120_000).get(key).exec();
    expect(replies?.map(([error]) => error)).toEqual([null, null, null]);
    expect(await admin.get(key)).toBe('5');

    const slots = new SharedSubscriptionSlots({ redis: as('gateway'), logger });
    try {
      await slots.acquire(acme, 5);
      expect(await admin.zcard(keys.openSubscriptions(acme))).toBe(1);
    } finally {
      await slots.close();
    }
  });

  it('cannot read or write job queue keys, nor enqueue a job', async () => {
    const gateway = connect(as('gateway'));
    const jobKeys = new JobQueueKeys(prefix);
    await expect(gateway.get(`${prefix}:${tenantQueueName(acme)}:meta`)).rejects.toThrow(noPermission);
    await expect(gateway.lpush(`${prefix}:${tenantQueueName(acme)}:wait`, 'x')).rejects.toThrow(noPermission);
    await expect(gateway.rpush(jobKeys.ring(sharedPool('us-east-1')), acme)).rejects.toThrow(noPermission);
    await expect(gateway.publish(jobKeys.wakeChannel(sharedPool('us-east-1')), '1')).rejects.toThrow(noPermission);
    const queues = new JobQueues(as('gateway'));
    try {
      await expect(queues.enqueue({ id: acme, tier: 'shared', region: 'us-east-1' }, { tenantId: acme, jobId: 'job-gw', submission: 1 })).rejects.toThrow(noPermission);
    } finally {
      await queues.close();
    }
    expect(await admin.exists(`${prefix}:${tenantQueueName(acme)}:job-gw.1`)).toBe(0);
  });

  it('listens for access changes and cannot announce one', async () => {
    const gateway = connect(as('gateway'));
    await expect(gateway.subscribe(`${prefix}:access:changed`)).resolves.toBe(1);
    const other = connect(as('gateway'));
    await expect(other.publish(`${prefix}:access:changed`, JSON.stringify({ tenantId: acme }))).rejects.toThrow(noPermission);
  });

  it('cannot publish or subscribe to tenant events, nor run dangerous commands', async () => {
    const gateway = connect(as('gateway'));
    await expect(gateway.publish(`${prefix}:tenant:${acme}:jobs`, '{}')).rejects.toThrow(noPermission);
    await expect(connect(as('gateway')).subscribe(`${prefix}:tenant:${acme}:jobs`)).rejects.toThrow(noPermission);
    await expect(gateway.flushall()).rejects.toThrow(noPermission);
    await expect(gateway.keys('*')).rejects.toThrow(noPermission);
    await expect(gateway.config('GET', 'requirepass')).rejects.toThrow(noPermission);
    await expect(gateway.call('ACL', 'LIST')).rejects.toThrow(noPermission);
  });
});

describe('Redis ACL: subgraphs', () => {
  it('models counts predictions, and cannot touch the gateway rate-limit keys or the queues', async () => {
    const perMinute = new PredictionsPerMinute({ redis: as('models'), logger });
    const keys = new LiveQuotaKeys(prefix);
    try {
      await perMinute.take(acme, 10);
      expect(await admin.get(keys.predictionsPerMinute(acme, minuteOf(Date.now())))).toBe('1');
      const models = connect(as('models'));
      await models.eval("redis.call('HSET', KEYS[1], 'r1', '2:' .. ARGV[1]) return 1", 1, keys.predictionsInFlight(acme), String(Date.now()));
      await expect(models.get(keys.costPerMinute(acme, minuteOf(Date.now())))).rejects.toThrow(noPermission);
      await expect(models.incrby(keys.costPerMinute(acme, minuteOf(Date.now())), 1)).rejects.toThrow(noPermission);
      await expect(models.zadd(keys.openSubscriptions(acme), 1, 'x')).rejects.toThrow(noPermission);
      await expect(models.lpush(`${prefix}:${tenantQueueName(acme)}:wait`, 'x')).rejects.toThrow(noPermission);
      // Erasures: it listens (to drop the tenant's pools), it cannot announce one.
      await expect(models.publish(`${prefix}:tenants:erased`, JSON.stringify({ tenantId: acme }))).rejects.toThrow(noPermission);
      const listener = connect(as('models'));
      expect(await listener.subscribe(`${prefix}:tenants:erased`)).toBe(1);
      await expect(connect(as('models')).subscribe(`${prefix}:access:changed`)).rejects.toThrow(noPermission);
    } finally {
      await perMinute.close();
    }
  });

  it('models moves and reads the tenants\' serving generations (a missing one starts from Redis\'s clock); others cannot write them', async () => {
    const generations = new ServingGenerations({ redis: as('models'), logger });
    const perMinute = new PredictionsPerMinute({ redis: as('models'), logger });
    try {
      expect(await perMinute.admit(globex, 10, { count: false })).toEqual({ kind: 'not-counted', generation: '0' });
      await generations.changed(globex);
      const first = Number(await admin.get(servingGenerationKey(prefix, globex)));
      expect(first).toBeGreaterThan(Date.now() * 1000 - 60_000_000);
      await generations.changed(globex);
      expect(await perMinute.admit(globex, 10, { expect: String(first), count: true })).toEqual({ kind: 'not-counted', generation: String(first + 1) });
      expect(await perMinute.admit(globex, 10, { expect: String(first + 1), count: true })).toEqual({ kind: 'counted', generation: String(first + 1) });
      for (const service of ['gateway', 'jobs', 'metrics'] as const) {
        await expect(connect(as(service)).incr(servingGenerationKey(prefix, globex))).rejects.toThrow(noPermission);
      }
    } finally {
      await generations.close();
      await perMinute.close();
    }
  });

  it('metrics reads every live counter and can write none', async () => {
    const metrics = connect(as('metrics'));
    const keys = new LiveQuotaKeys(prefix);
    const minute = minuteOf(Date.now());
    await admin.set(keys.predictionsPerMinute(globex, minute), '3');
    await admin.set(keys.costPerMinute(globex, minute), '40');
    await admin.zadd(keys.openSubscriptions(globex), Date.now() + 60_000, 's1');
    await admin.hset(keys.predictionsInFlight(globex), 'r1', `2:${Date.now()}`);
    await admin.zadd(new JobQueueKeys(prefix).leases(globex), Date.now() + 60_000, 'h1');
    expect(await readPredictionsInMinute(metrics, keys, globex, minute)).toBe(3);
    expect(await readCostUnitsInMinute(metrics, keys, globex, minute)).toBe(40);
    expect(await readOpenSubscriptions(metrics, keys, globex, Date.now())).toBe(1);
    expect(await readPredictionsInFlight(metrics, keys, globex)).toBe(2);
    expect(await countLiveLeases(metrics, new JobQueueKeys(prefix), globex)).toBe(1);
    await expect(metrics.incr(keys.predictionsPerMinute(globex, minute))).rejects.toThrow(noPermission);
    await expect(metrics.del(keys.costPerMinute(globex, minute))).rejects.toThrow(noPermission);
    await expect(metrics.eval("return redis.call('GET', KEYS[1])", 1, keys.costPerMinute(globex, minute))).rejects.toThrow(noPermission);
    await expect(metrics.get(`${prefix}:${tenantQueueName(globex)}:meta`)).rejects.toThrow(noPermission);
  });

  it('jobs enqueues and publishes job events, and cannot touch the gateway keys or the leases', async () => {
    const queues = new JobQueues(as('jobs'));
    const jobs = connect(as('jobs'));
    const wake = connect(as('worker'));
    const bus = createEventBus(as('jobs'));
    try {
      await wake.subscribe(new JobQueueKeys(prefix).wakeChannel(sharedPool('us-east-1')));
      await queues.enqueue({ id: globex, tier: 'shared', region: 'us-east-1' }, { tenantId: globex, jobId: 'job-1', submission: 1 });
      expect((await queues.counts(globex)).waiting).toBe(1);
      expect(await admin.lrange(new JobQueueKeys(prefix).ring(sharedPool('us-east-1')), 0, -1)).toContain(globex);
      const events = bus.subscribe(globex, 'jobs');
      await events.ready;
      expect(await bus.publish(globex, 'jobs', { id: 'job-1' })).toBe(1);
      expect((await events.next()).value).toEqual({ id: 'job-1' });
      await events.return?.();
      await expect(jobs.incrby(new LiveQuotaKeys(prefix).costPerMinute(globex, 1), 1)).rejects.toThrow(noPermission);
      await expect(jobs.zadd(new JobQueueKeys(prefix).leases(globex), 1, 'x')).rejects.toThrow(noPermission);
      await expect(jobs.publish(`${prefix}:tenant:${globex}:alerts`, '{}')).rejects.toThrow(noPermission);
    } finally {
      await bus.close();
      await queues.close();
    }
  });

  it('audit publishes alerts only; tenants announces access changes, erasures and tenant changes; datasets can only connect and hear tenant changes', async () => {
    const bus = createEventBus(as('audit'));
    try {
      expect(await bus.publish(acme, 'alerts', { id: 'a1' })).toBe(0);
      await expect(bus.publish(acme, 'jobs', { id: 'forged' })).rejects.toThrow(noPermission);
    } finally {
      await bus.close();
    }
    await expect(connect(as('audit')).get(`${prefix}:jobs:start-seq`)).rejects.toThrow(noPermission);
    for (const service of ['datasets', 'tenants'] as const) {
      const redis = connect(as(service));
      expect(await redis.ping()).toBe('PONG');
      await expect(redis.get(`${prefix}:jobs:start-seq`)).rejects.toThrow(noPermission);
      await expect(redis.publish(`${prefix}:tenant:${acme}:jobs`, '{}')).rejects.toThrow(noPermission);
    }
    // Allowed: the answer is the number of listeners (the gateway's subscription above may still be one).
    expect(typeof (await connect(as('tenants')).publish(`${prefix}:access:changed`, JSON.stringify({ tenantId: acme })))).toBe('number');
    await expect(connect(as('datasets')).publish(`${prefix}:access:changed`, JSON.stringify({ tenantId: acme }))).rejects.toThrow(noPermission);
    await expect(connect(as('datasets')).subscribe(`${prefix}:access:changed`)).rejects.toThrow(noPermission);
    // A tenant's changed record: announced by tenants, heard by every service (their tenant caches);
    // datasets may listen and not announce. (Redis cannot tell the two apart per channel, so a service
    // that publishes anything could announce one: a listener then only reads the record again.)
    expect(typeof (await connect(as('tenants')).publish(`${prefix}:tenants:changed`, JSON.stringify({ tenantId: 'nobody' })))).toBe('number');
    await expect(connect(as('datasets')).publish(`${prefix}:tenants:changed`, JSON.stringify({ tenantId: acme }))).rejects.toThrow(noPermission);
    for (const service of ['gateway', 'datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants'] as const) {
      await expect(connect(as(service)).subscribe(`${prefix}:tenants:changed`)).resolves.toBe(1);
    }
    // The workers hear them too (their schedulers' caches): see 'Redis ACL: workers'.
    for (const service of ['gateway', 'datasets', 'models', 'metrics'] as const) {
      await expect(connect(as(service)).publish(`${prefix}:tenants:changed`, JSON.stringify({ tenantId: acme }))).rejects.toThrow(noPermission);
    }
    // Erasures are announced by tenants alone.
    expect(typeof (await connect(as('tenants')).publish(`${prefix}:tenants:erased`, JSON.stringify({ tenantId: 'nobody' })))).toBe('number');
    await expect(connect(as('datasets')).publish(`${prefix}:tenants:erased`, JSON.stringify({ tenantId: acme }))).rejects.toThrow(noPermission);
    // Erasure: tenants finds and deletes any platform key, and reads none.
    const tenants = connect(as('tenants'));
    await connect(as('gateway')).incrby(`${prefix}:ratelimit:tenant:${acme}:1`, 1);
    const [, found] = await tenants.scan('0', 'MATCH', `${prefix}:ratelimit:tenant:${acme}:*`, 'COUNT', 1000);
    expect(found).toContain(`${prefix}:ratelimit:tenant:${acme}:1`);
    await expect(tenants.get(`${prefix}:ratelimit:tenant:${acme}:1`)).rejects.toThrow(noPermission);
    expect(await tenants.del(`${prefix}:ratelimit:tenant:${acme}:1`)).toBe(1);
    await expect(tenants.get('other-prefix:x')).rejects.toThrow(noPermission);
  });
});

describe('Redis ACL: workers', () => {
  it('every worker can subscribe to the changed-tenant announcements it needs (a dedicated one: its tenant\'s own channel), and to no other platform channel', async () => {
    const cases = [
      // The shared pool serves every shared tenant: the shared channel.
      { config: as('worker'), channel: `${prefix}:tenants:changed`, tenant: globex, refused: [`${prefix}:tenants:changed:${globex}`] },
      // A dedicated tenant's worker: its tenant's channel, never the shared one (other tenants' ids) nor another tenant's.
      { config: asDedicated(acme), channel: `${prefix}:tenants:changed:${acme}`, tenant: acme, refused: [`${prefix}:tenants:changed`, `${prefix}:tenants:changed:${globex}`, `${prefix}:tenants:changed:*`] },
    ];
    for (const { config, channel, tenant, refused } of cases) {
      const listener = connect(config);
      // What the scheduler's listener does: one exact channel, which then carries the tenants service's announcement.
      await expect(listener.subscribe(channel)).resolves.toBe(1);
      const heard = new Promise<string>((resolve) => listener.once('message', (_channel: string, message: string) => resolve(message)));
      expect(await connect(as('tenants')).publish(channel, JSON.stringify({ tenantId: tenant }))).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(await heard)).toEqual({ tenantId: tenant });
      // Nothing beside it: no other announcement channel, no name that merely starts like it, not
      // another deployment's, not every channel (a literal `*`, or a pattern subscription).
      // (A fresh connection for each: a refused subscription is not left to shape the next one.)
      for (const other of [...refused, `${prefix}:tenants:erased`, `${prefix}:access:changed`, `${prefix}:tenants:changedx`, `${prefix}:tenants:*`, `other:tenants:changed`, '*']) {
        await expect(connect(config).subscribe(other)).rejects.toThrow(noPermission);
      }
      await expect(connect(config).psubscribe('*')).rejects.toThrow(noPermission);
      await expect(connect(config).psubscribe(channel)).rejects.toThrow(noPermission);
    }
  });

  it('a shared-pool worker takes a job from a tenant queue and holds a lease; job events are the jobs service\'s to publish', async () => {
    const producer = new JobQueues(as('jobs'));
    const redis = connect({ ...as('worker') });
    redis.options.maxRetriesPerRequest = null;
    const worker = new Worker(tenantQueueName(globex), null, { connection: redis, prefix, autorun: false, lockDuration: 5_000 });
    const queue = new Queue(tenantQueueName(globex), { connection: redis, prefix });
    const bus = createEventBus(as('worker'));
    try {
      await producer.enqueue({ id: globex, tier: 'shared', region: 'us-east-1' }, { tenantId: globex, jobId: 'job-2', submission: 1 });
      expect(await new TenantRing(redis, prefix).next(sharedPool('us-east-1'))).toBe(globex);
      // Its pool's headroom: its slots announced, the lease taken as one of the pool's busy slots.
      const pool = sharedPool('us-east-1');
      await new PoolSlots(redis, prefix, pool, 5_000).announce('w-acl', 2);
      const leases = new TenantLeases(redis, prefix, 5_000, { pool, headroomSlots: 1 });
      expect(await leases.acquire(globex, 'slot-1', 2)).toBe(true);
      expect(await new PoolSlots(redis, prefix, pool, 5_000).read()).toEqual({ slots: 2, busy: 1 });
      expect(await redis.incr(new JobQueueKeys(prefix).startSequence(pool))).toBeGreaterThan(0);
      // A dedicated tenant's start counter is its workers' own.
      await expect(redis.incr(`${prefix}:jobs:start-seq:dedicated-${acme}`)).rejects.toThrow(noPermission);
      const job = await worker.getNextJob('token-1', { block: false });
      expect(job?.id).toBeDefined();
      await job!.moveToCompleted('done', 'token-1', false);
      expect(await queue.getJobCounts('completed')).toEqual({ completed: expect.any(Number) });
      await leases.release(globex, 'slot-1');
      // The jobs service publishes what a worker reports through its port: a worker can neither
      // forge an event for a tenant's subscribers nor listen to every tenant's.
      await expect(bus.publish(globex, 'jobs', { id: 'job-2' })).rejects.toThrow(noPermission);
      await expect(connect(as('worker')).subscribe(`${prefix}:tenant:${globex}:jobs`)).rejects.toThrow(noPermission);
      await expect(redis.get(new LiveQuotaKeys(prefix).costPerMinute(globex, 1))).rejects.toThrow(noPermission);
      await expect(redis.lpush(new JobQueueKeys(prefix).ring({ kind: 'dedicated', tenantId: acme }), 'x')).rejects.toThrow(noPermission);
      await expect(redis.publish(`${prefix}:tenant:${globex}:alerts`, '{}')).rejects.toThrow(noPermission);
    } finally {
      await bus.close();
      await worker.close(true);
      await queue.close();
      await producer.close();
    }
  });

  it("a dedicated tenant's worker works its own tenant's queue and cannot publish on, or reach, another tenant's", async () => {
    const dedicated = { kind: 'dedicated' as const, tenantId: acme };
    const producer = new JobQueues(as('jobs'));
    const redis = connect(asDedicated(acme));
    redis.options.maxRetriesPerRequest = null;
    const worker = new Worker(tenantQueueName(acme), null, { connection: redis, prefix, autorun: false, lockDuration: 5_000 });
    const bus = createEventBus(asDedicated(acme));
    try {
      await producer.enqueue({ id: acme, tier: 'dedicated', region: 'us-east-1' }, { tenantId: acme, jobId: 'job-3', submission: 1 });
      expect(await new TenantRing(redis, prefix).next(dedicated)).toBe(acme);
      expect(await new TenantLeases(redis, prefix, 5_000).acquire(acme, 'slot-1', 1)).toBe(true);
      const job = await worker.getNextJob('token-2', { block: false });
      expect(job?.data).toMatchObject({ jobId: 'job-3' });
      await expect(bus.publish(acme, 'jobs', { id: 'job-3' })).rejects.toThrow(noPermission);

      await expect(bus.publish(globex, 'jobs', { id: 'forged' })).rejects.toThrow(noPermission);
      await expect(redis.publish(`${prefix}:tenant:${globex}:jobs`, '{}')).rejects.toThrow(noPermission);
      await expect(redis.publish(new JobQueueKeys(prefix).wakeChannel(sharedPool('us-east-1')), '1')).rejects.toThrow(noPermission);
      await expect(redis.get(`${prefix}:${tenantQueueName(globex)}:meta`)).rejects.toThrow(noPermission);
      await expect(new TenantLeases(redis, prefix, 5_000).acquire(globex, 'slot-1', 1)).rejects.toThrow(noPermission);
      await expect(new TenantRing(redis, prefix).next(sharedPool('us-east-1'))).rejects.toThrow(noPermission);
      // Nor the shared pool's slots: it can neither read how busy the shared pool is nor change it.
      await expect(new PoolSlots(redis, prefix, sharedPool('us-east-1'), 5_000).announce('forged', 100)).rejects.toThrow(noPermission);
      await expect(new PoolSlots(redis, prefix, sharedPool('us-east-1'), 5_000).read()).rejects.toThrow(noPermission);
      // Its own start counter. The shared pools' counts every other tenant's job starts: it can
      // neither read it (how many jobs the others start), nor move it, nor break it (a value INCR
      // refuses would stop every shared worker's claims, i.e. every other tenant's jobs), and
      // another dedicated tenant's is refused alike.
      expect(await redis.incr(new JobQueueKeys(prefix).startSequence(dedicated))).toBe(1);
      await expect(redis.incr(`${prefix}:jobs:start-seq`)).rejects.toThrow(noPermission);
      await expect(redis.set(`${prefix}:jobs:start-seq`, 'not-a-number')).rejects.toThrow(noPermission);
      await expect(redis.get(`${prefix}:jobs:start-seq`)).rejects.toThrow(noPermission);
      await expect(redis.incr(`${prefix}:jobs:start-seq:dedicated-${globex}`)).rejects.toThrow(noPermission);
      const foreign = new Worker(tenantQueueName(globex), null, { connection: redis, prefix, autorun: false });
      try {
        await expect(foreign.getNextJob('token-3', { block: false })).rejects.toThrow(noPermission);
      } finally {
        await foreign.close(true);
      }
    } finally {
      await bus.close();
      await worker.close(true);
      await producer.close();
    }
  });
});

describe('Redis ACL: the queue users and server-wide state', () => {
  it('jobs and every worker cannot change the function library, count every key, or run dangerous commands', async () => {
    const library = "#!lua name=acltestlib\nredis.register_function('acltest_noop', function() return 1 end)";
    await admin.call('FUNCTION', 'LOAD', 'REPLACE', library);
    try {
      for (const config of [as('jobs'), as('worker'), asDedicated(acme)]) {
        const redis = connect(config);
        // Each still does its own queue work with the same connection.
        expect(await redis.incr(`${prefix}:${tenantQueueName(acme)}:acl-probe`)).toBeGreaterThan(0);
        await expect(redis.call('FUNCTION', 'FLUSH')).rejects.toThrow(noPermission);
        await expect(redis.call('FUNCTION', 'DELETE', 'acltestlib')).rejects.toThrow(noPermission);
        await expect(redis.call('FUNCTION', 'LOAD', "#!lua name=forged\nredis.register_function('forged', function() return 1 end)")).rejects.toThrow(noPermission);
        await expect(redis.call('FUNCTION', 'RESTORE', 'x')).rejects.toThrow(noPermission);
        await expect(redis.dbsize()).rejects.toThrow(noPermission);
        await expect(redis.flushall()).rejects.toThrow(noPermission);
        await expect(redis.keys('*')).rejects.toThrow(noPermission);
        await expect(redis.call('SCAN', '0')).rejects.toThrow(noPermission);
        await expect(redis.config('GET', 'requirepass')).rejects.toThrow(noPermission);
      }
      const libraries = (await admin.call('FUNCTION', 'LIST')) as unknown[][];
      expect(libraries.map((entry) => entry[1])).toEqual(['acltestlib']);
    } finally {
      await admin.call('FUNCTION', 'FLUSH');
      await admin.del(`${prefix}:${tenantQueueName(acme)}:acl-probe`);
    }
  });
});

describe('Redis ACL: the ACL file', () => {
  it('a Redis started with it keeps queued jobs across a restart (the AOF replays as the default user)', async () => {
    const aclDir = mkdtempSync(join(tmpdir(), 'tessera-redis-aof-'));
    const port = await freePort();
    const password = (variable: string) => `${variable.toLowerCase()}-test`;
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    writeFileSync(
      join(aclDir, 'users.acl'),
      aclFileTemplate('tessera')
        .split('\n')
        .filter((line) => line.startsWith('user '))
        .map((line) => line.replace(/\{\{sha256:([A-Z_]+)\}\}/, (_, variable: string) => sha256(password(variable))))
        .join('\n') + '\n',
    );
    const start = async () => {
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', aclDir, '--aclfile', join(aclDir, 'users.acl')], { stdio: 'ignore' });
      for (let i = 0; i < 50; i++) {
        const probe = new Redis(`redis://${redisAdminUser}:${password('REDIS_ADMIN_PASSWORD')}@127.0.0.1:${port}`, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        probe.on('error', () => undefined);
        const up = await probe.connect().then(() => true, () => false);
        probe.disconnect();
        if (up) return child;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('redis-server with the ACL file did not start');
    };
    const jobsRedis: RedisConfig = { url: `redis://tessera-jobs:${password('REDIS_JOBS_PASSWORD')}@127.0.0.1:${port}`, keyPrefix: 'tessera' };
    let child = await start();
    try {
      const queues = new JobQueues(jobsRedis);
      await queues.enqueue({ id: acme, tier: 'shared', region: 'us-east-1' }, { tenantId: acme, jobId: 'job-aof', submission: 1 });
      await queues.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const shutdown = new Redis(`redis://${redisAdminUser}:${password('REDIS_ADMIN_PASSWORD')}@127.0.0.1:${port}`);
      await shutdown.shutdown().catch(() => undefined);
      shutdown.disconnect();
      await exited;
      child = await start();
      const again = new JobQueues(jobsRedis);
      try {
        expect((await again.counts(acme)).waiting).toBe(1);
      } finally {
        await again.close();
      }
    } finally {
      child.kill('SIGKILL');
      rmSync(aclDir, { recursive: true, force: true });
    }
  });


  it('deploy/redis/users.acl.template is what packages/redis-acl generates (regenerate: npx tsx scripts/redis-acl.ts template > deploy/redis/users.acl.template)', () => {
    expect(readFileSync(join(__dirname, '..', 'deploy', 'redis', 'users.acl.template'), 'utf8')).toBe(aclFileTemplate('tessera'));
  });

  it('loads into redis-server as is (placeholders replaced), with the default user off', async () => {
    const text = aclFileTemplate('tessera').replace(/\{\{sha256:[A-Z_]+\}\}/g, 'a'.repeat(64));
    const lines = text.split('\n').filter((line) => line.startsWith('user '));
    expect(lines[0]).toBe('user default off resetpass ~* &* +@all');
    expect(lines.map((line) => line.split(' ')[1])).toEqual(['default', redisAdminUser, ...redisServices.map((service) => `tessera-${service}`)]);
    // Each rule set is valid for this Redis: SETUSER of the same rules succeeds.
    for (const line of lines.slice(2)) {
      const [, user, ...rules] = line.split(' ');
      await admin.call('ACL', 'SETUSER', `check-${user}`, ...rules);
      await admin.call('ACL', 'DELUSER', `check-${user}`);
    }
  });
});
