/**
 * The erasure's Redis step against real Redis: every key of the erased tenant goes, whatever names
 * it — its id as a segment, its BullMQ queue, and the keys of its dedicated pool, which are named
 * after the pool (`dedicated-<id>`), not the tenant. Before, only the dedicated pool's ring and
 * membership set were matched: the pool's start counter (`jobs:start-seq:dedicated-<id>`, which its
 * workers INCR at every job start) outlived the erasure, a key naming the erased tenant that the
 * receipt counted as swept. Other tenants' keys, including a dedicated pool of an id that merely
 * contains the erased one, stay.
 */
import { randomBytes } from 'node:crypto';
import { JobQueueKeys, openRedis, type WorkerPool } from '@tessera/job-queue';
import { startTestStack, type TestStack } from '@tessera/testing';
import { eraseTenantRedisKeys } from '../src/domain/tenant-redis-eraser';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

async function keysNaming(text: string): Promise<string[]> {
  const client = openRedis(stack.config.redis, 'eraser-scan', 'request');
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${stack.config.redis.keyPrefix}:*${text}*`, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found.sort();
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

describe("the erasure's Redis step", () => {
  it("removes the erased dedicated tenant's pool keys (start counter, ring, members) and leaves every other tenant's", async () => {
    const erased = `d${randomBytes(4).toString('hex')}`;
    const other = `${erased}x`; // contains the erased id, is not it
    const keys = new JobQueueKeys(stack.config.redis.keyPrefix);
    const client = openRedis(stack.config.redis, 'eraser-setup', 'request');
    try {
      for (const id of [erased, other]) {
        const pool: WorkerPool = { kind: 'dedicated', tenantId: id };
        // What a dedicated pool's workers and the queue leave in Redis.
        await client.incr(keys.startSequence(pool));
        await client.rpush(keys.ring(pool), id);
        await client.sadd(keys.ringMembers(pool), id);
        await client.zadd(keys.leases(id), Date.now() + 60_000, 'holder');
      }
    } finally {
      await client.quit().catch(() => client.disconnect());
    }
    expect((await keysNaming(erased)).length).toBe(8);
    const otherBefore = await keysNaming(other);
    expect(otherBefore).toHaveLength(4);

    await eraseTenantRedisKeys(stack.config.redis, erased);

    expect(await keysNaming(erased)).toEqual(otherBefore);
    expect(await keysNaming(other)).toEqual(otherBefore);
  });

  it("leaves the keys of a tenant whose id is 'dedicated-<erased id>' (a valid id of its own)", async () => {
    const erased = `e${randomBytes(4).toString('hex')}`;
    const lookalike = `dedicated-${erased}`;
    const keys = new JobQueueKeys(stack.config.redis.keyPrefix);
    const client = openRedis(stack.config.redis, 'eraser-setup', 'request');
    try {
      // The look-alike tenant's own keys, with its id as a segment.
      await client.zadd(keys.leases(lookalike), Date.now() + 60_000, 'holder');
      await client.set(`${stack.config.redis.keyPrefix}:ratelimit:tenant:${lookalike}:1`, '5');
      // The erased tenant's dedicated pool counter.
      await client.incr(keys.startSequence({ kind: 'dedicated', tenantId: erased }));
    } finally {
      await client.quit().catch(() => client.disconnect());
    }
    const lookalikeKeys = (await keysNaming(lookalike)).filter((key) => !key.includes(`start-seq`));
    expect(lookalikeKeys).toHaveLength(2);

    await eraseTenantRedisKeys(stack.config.redis, erased);

    expect(await keysNaming(lookalike)).toEqual(lookalikeKeys);
    expect(await keysNaming(`start-seq:dedicated-${erased}`)).toEqual([]);
  });

  // Tenant ids are words a platform admin picks; some are also words of the key names. Before, a key
  // belonged to the erased tenant when its id was any `:`-segment: erasing a tenant `meta` removed
  // every tenant's BullMQ queue metadata (`jobs-<t>:meta`), `wait` every tenant's waiting jobs,
  // `jobs` every lease, ring and start counter, `tenant` every rate-limit and subscription counter.
  it.each(['meta', 'wait', 'events', 'jobs', 'tenant', 'leases', 'ring'])("erasing a tenant named '%s' removes its own keys only, none of another tenant's", async (erased) => {
    const other = `o${randomBytes(4).toString('hex')}`;
    const p = stack.config.redis.keyPrefix;
    const keys = new JobQueueKeys(p);
    const client = openRedis(stack.config.redis, 'eraser-setup', 'request');
    const shapes = (tenant: string) => [
      `${p}:ratelimit:tenant:${tenant}:29000000`,
      `${p}:subscriptions:tenant:${tenant}`,
      `${p}:predictions-per-minute:${tenant}:29000000`,
      `${p}:predictions-in-flight:${tenant}`,
      `${p}:serving-generation:${tenant}`,
      keys.leases(tenant),
      keys.startSequence({ kind: 'dedicated', tenantId: tenant }),
      `${p}:jobs-${tenant}:meta`,
      `${p}:jobs-${tenant}:wait`,
      `${p}:jobs-${tenant}:events`,
    ];
    try {
      for (const key of [...shapes(erased), ...shapes(other)]) await client.set(key, '1');
      // Shared keys naming no tenant.
      await client.set(`${p}:jobs:start-seq`, '7');
      await client.rpush(keys.ring({ kind: 'shared', region: 'us-east-1' }), other);
      await client.sadd(keys.ringMembers({ kind: 'shared', region: 'us-east-1' }), other);

      await eraseTenantRedisKeys(stack.config.redis, erased);

      for (const key of shapes(erased)) expect({ key, exists: await client.exists(key) }).toEqual({ key, exists: 0 });
      for (const key of shapes(other)) expect({ key, exists: await client.exists(key) }).toEqual({ key, exists: 1 });
      expect(await client.get(`${p}:jobs:start-seq`)).toBe('7');
      expect(await client.lrange(keys.ring({ kind: 'shared', region: 'us-east-1' }), 0, -1)).toContain(other);
      expect(await client.smembers(keys.ringMembers({ kind: 'shared', region: 'us-east-1' }))).toContain(other);
    } finally {
      for (const key of shapes(other)) await client.del(key);
      await client.quit().catch(() => client.disconnect());
    }
  });
});
