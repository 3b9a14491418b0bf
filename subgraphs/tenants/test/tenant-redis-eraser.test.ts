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
});
