import { redisAccountFromEnvironment } from '@tessera/redis-acl';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { openRedis, sharedPool, TenantLeases, TenantRing, type WorkerPool } from '../src';

// The local Redis has its ACL on: these tests talk to it directly, as its admin (or REDIS_URL without ACL).
const account = redisAccountFromEnvironment();
const redisUrl = account.url;
// The CA of a rediss:// Redis (the local one: the local CA), as a deployment's REDIS_TLS_CA_FILE.
const tls = { tlsCaFile: account.tlsCaFile };

/** The scheduler's Redis structures against the real Redis, under a prefix of their own. */
describe('tenant ring and leases', () => {
  const prefix = `ttest-${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  let ring: TenantRing;

  beforeAll(() => {
    redis = openRedis({ url: redisUrl, keyPrefix: prefix, ...tls }, 'ring-test', 'request');
    ring = new TenantRing(redis, prefix);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('rotates tenants round-robin, each once however often it was added', async () => {
    for (const tenant of ['ta', 'tb', 'ta', 'tc', 'tb']) await ring.add(sharedPool('us-east-1'), tenant);
    expect(await ring.members(sharedPool('us-east-1'))).toEqual(['ta', 'tb', 'tc']);
    const picks: Array<string | null> = [];
    for (let i = 0; i < 7; i++) picks.push(await ring.next(sharedPool('us-east-1')));
    expect(picks).toEqual(['ta', 'tb', 'tc', 'ta', 'tb', 'tc', 'ta']);
    await ring.remove(sharedPool('us-east-1'), 'tb');
    expect(await ring.members(sharedPool('us-east-1'))).toEqual(['tc', 'ta']);
    await ring.add(sharedPool('us-east-1'), 'tb'); // back at the tail, once
    expect(await ring.members(sharedPool('us-east-1'))).toEqual(['tc', 'ta', 'tb']);
  });

  it('keeps a dedicated pool apart from the shared one', async () => {
    const dedicated: WorkerPool = { kind: 'dedicated', tenantId: 'td' };
    await ring.add(dedicated, 'td');
    expect(await ring.members(dedicated)).toEqual(['td']);
    expect(await ring.members(sharedPool('us-east-1'))).not.toContain('td');
    expect(await ring.next({ kind: 'dedicated', tenantId: 'tz' })).toBeNull();
  });

  it('grants at most `limit` leases per tenant; released or expired leases free their slot', async () => {
    const leases = new TenantLeases(redis, prefix, 600);
    expect(await leases.acquire('ta', 'h1', 2)).toBe(true);
    expect(await leases.acquire('ta', 'h2', 2)).toBe(true);
    expect(await leases.acquire('ta', 'h3', 2)).toBe(false);
    expect(await leases.acquire('tb', 'h3', 2)).toBe(true); // another tenant's slots are its own
    await leases.release('ta', 'h1');
    expect(await leases.acquire('ta', 'h3', 2)).toBe(true);
    // h2 is renewed, h3 is not: after the TTL only h3's slot has expired.
    await sleep(350);
    await leases.renew('ta', 'h2');
    await sleep(350);
    expect(await leases.acquire('ta', 'h4', 2)).toBe(true);
    expect(await leases.acquire('ta', 'h5', 2)).toBe(false);
  });
});
