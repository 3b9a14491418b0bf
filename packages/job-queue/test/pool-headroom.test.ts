import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { redisAccountFromEnvironment } from '@tessera/redis-acl';
import { JobQueueKeys, openRedis, PoolSlots, releaseRunsOfDeadWorker, sharedPool, TenantLeases, TenantRing, type LeaseOutcome } from '../src';

const account = redisAccountFromEnvironment();

/**
 * A shared pool's headroom on the real Redis: workers announce their slots, and a tenant already
 * running a job in the pool may not take a slot that would leave fewer than H of the pool's slots
 * free; a tenant running nothing always may. Each test uses a pool (region) of its own.
 */
describe('pool headroom: announced slots and busy tenants', () => {
  const prefix = `ttest-${randomBytes(4).toString('hex')}`;
  const config = { url: account.url, keyPrefix: prefix, tlsCaFile: account.tlsCaFile };
  const keys = new JobQueueKeys(prefix);
  const clients: Redis[] = [];
  let redis: Redis;
  let region = 0;
  const freshPool = () => sharedPool(`test-${++region}`);
  const holder = (instance = 'w1') => `${instance}:0:${randomBytes(4).toString('hex')}`;

  beforeAll(() => {
    redis = openRedis(config, 'headroom-test', 'request');
    clients.push(redis);
  });
  afterAll(async () => {
    const all = await redis.keys(`${prefix}:*`);
    if (all.length) await redis.del(...all);
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('a tenant running a job may not take a slot that would leave fewer than H free; a tenant running nothing may', async () => {
    const pool = freshPool();
    const slots = new PoolSlots(redis, prefix, pool, 60_000);
    await slots.announce('w1', 3);
    await slots.announce('w2', 2);
    const leases = new TenantLeases(redis, prefix, 60_000, { pool, headroomSlots: 1 });
    const busy = `busy-${region}`;
    const outcomes: LeaseOutcome[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await leases.take(busy, holder(), 10));
    // 5 slots, H = 1: its first lease is a newcomer's, then three more leave 1 free; the fifth would leave none.
    expect(outcomes).toEqual(['granted', 'granted', 'granted', 'granted', 'headroom']);
    expect(await slots.read()).toEqual({ slots: 5, busy: 4 });
    // Another tenant's four running jobs are not this tenant's: running nothing, it takes the kept slot.
    expect(await leases.take(`newcomer-${region}`, holder('w2'), 10)).toBe('granted');
    expect(await slots.read()).toEqual({ slots: 5, busy: 5 });
    // Its own limit still comes first.
    const limited = `limited-${region}`;
    expect(await leases.take(limited, holder(), 1)).toBe('granted');
    expect(await leases.take(limited, holder(), 1)).toBe('tenant-limit');
    // The pool's keys name workers and holders only, never a tenant.
    expect(Object.keys(await redis.hgetall(keys.poolSlots(pool))).sort()).toEqual(['w1', 'w2']);
    for (const member of await redis.zrange(keys.poolBusy(pool), 0, -1)) expect(member).toMatch(/^w[12]:0:[0-9a-f]{8}$/);
  });

  it('a released job gives its slot back to the busy tenants; a renewal keeps it counted', async () => {
    const pool = freshPool();
    const slots = new PoolSlots(redis, prefix, pool, 60_000);
    await slots.announce('w1', 3);
    const leases = new TenantLeases(redis, prefix, 600, { pool, headroomSlots: 1 });
    const busy = `busy-${region}`;
    const [a, b, c] = [holder(), holder(), holder()];
    expect(await leases.take(busy, a, 10)).toBe('granted');
    expect(await leases.take(busy, b, 10)).toBe('granted');
    expect(await leases.take(busy, c, 10)).toBe('headroom');
    await leases.release(busy, b);
    expect(await slots.read()).toEqual({ slots: 3, busy: 1 });
    expect(await leases.take(busy, c, 10)).toBe('granted');
    // `a` is renewed, `c` is not: after the lease time only `c`'s slot is free again, in the tenant's set and the pool's.
    await sleep(350);
    await leases.renew(busy, a);
    await sleep(350);
    expect(await slots.read()).toEqual({ slots: 3, busy: 1 });
    expect(await leases.held(busy)).toBe(1);
    expect(await leases.take(busy, holder(), 10)).toBe('granted');
  });

  it('concurrent pickers on several connections never take a slot of the headroom', async () => {
    const pool = freshPool();
    const slots = new PoolSlots(redis, prefix, pool, 60_000);
    for (const w of ['w1', 'w2', 'w3', 'w4', 'w5']) await slots.announce(w, 2);
    const pickers = Array.from({ length: 4 }, (_, i) => {
      const client = openRedis(config, `headroom-picker-${i}`, 'request');
      clients.push(client);
      return new TenantLeases(client, prefix, 60_000, { pool, headroomSlots: 2 });
    });
    const tenants = Array.from({ length: 5 }, (_, i) => `busy-${region}-${i}`);
    // Five tenants run one job each: 5 of 10 slots busy.
    for (const tenant of tenants) expect(await pickers[0]!.take(tenant, holder(), 100)).toBe('granted');
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) => pickers[i % pickers.length]!.take(tenants[i % tenants.length]!, holder(`w${(i % 5) + 1}`), 100)),
    );
    // 10 slots, 5 busy, H = 2: exactly 3 more, whatever the interleaving.
    expect(outcomes.filter((o) => o === 'granted')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'headroom')).toHaveLength(57);
    expect(await slots.read()).toEqual({ slots: 10, busy: 8 });
    // The two kept slots go to tenants running nothing, concurrently too.
    const newcomers = await Promise.all([0, 1].map((i) => pickers[i]!.take(`newcomer-${region}-${i}`, holder(), 100)));
    expect(newcomers).toEqual(['granted', 'granted']);
  });

  it('H = 0 keeps no headroom: busy tenants take every slot, as before', async () => {
    const pool = freshPool();
    const slots = new PoolSlots(redis, prefix, pool, 60_000);
    await slots.announce('w1', 3);
    const leases = new TenantLeases(redis, prefix, 60_000, { pool, headroomSlots: 0 });
    const busy = `busy-${region}`;
    const outcomes: LeaseOutcome[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await leases.take(busy, holder(), 4));
    expect(outcomes).toEqual(['granted', 'granted', 'granted', 'granted']);
    expect(await leases.take(busy, holder(), 4)).toBe('tenant-limit');
    // The busy slots are still counted, so workers set otherwise agree on what is free.
    expect(await slots.read()).toEqual({ slots: 3, busy: 4 });
  });

  it('a worker that stopped announcing, withdrew, or died no longer counts; only the dead one\'s busy slots are released', async () => {
    const pool = freshPool();
    const short = new PoolSlots(redis, prefix, pool, 500);
    const long = new PoolSlots(redis, prefix, pool, 60_000);
    await short.announce('w-gone', 4);
    await long.announce('w-alive', 2);
    await long.announce('w-dead', 2);
    await long.announce('w-left', 2);
    expect(await long.read()).toEqual({ slots: 10, busy: 0 });
    await sleep(700);
    expect((await long.read()).slots).toBe(6);
    await long.withdraw('w-left');
    expect((await long.read()).slots).toBe(4);
    const leases = new TenantLeases(redis, prefix, 60_000, { pool, headroomSlots: 1 });
    const tenant = `busy-${region}`;
    const ring = new TenantRing(redis, prefix);
    await ring.add(pool, tenant);
    expect(await leases.take(tenant, 'w-dead:0:a', 10)).toBe('granted');
    expect(await leases.take(tenant, 'w-alive:0:b', 10)).toBe('granted');
    // 4 slots, 2 busy: one more leaves 1 free; a fourth would not.
    expect(await leases.take(tenant, 'w-alive:1:c', 10)).toBe('granted');
    expect(await leases.take(tenant, 'w-alive:1:d', 10)).toBe('headroom');
    const released = await releaseRunsOfDeadWorker(redis, prefix, pool, 'w-dead');
    expect(released.leases).toBe(1);
    expect(await redis.zrange(keys.poolBusy(pool), 0, -1)).toEqual(expect.arrayContaining(['w-alive:0:b', 'w-alive:1:c']));
    expect(await redis.zcard(keys.poolBusy(pool))).toBe(2);
    expect(Object.keys(await redis.hgetall(keys.poolSlots(pool)))).toEqual(['w-alive']);
    // w-alive's 2 slots, both busy: the busy tenant waits; a tenant running nothing does not.
    expect(await leases.take(tenant, 'w-alive:1:e', 10)).toBe('headroom');
    expect(await leases.take(`newcomer-${region}`, 'w-alive:1:f', 10)).toBe('granted');
  });
});
