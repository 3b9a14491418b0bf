import { redisAccountFromEnvironment } from '@tessera/redis-acl';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLogger, redisConnectionOptions } from '@tessera/config';
import { isTesseraError } from '@tessera/errors';
import { LiveQuotaKeys, readOpenSubscriptions } from '@tessera/quotas';
import { SharedSubscriptionSlots } from '../src/subscriptions/shared-subscription-slots';

// The local Redis has its ACL on: these tests talk to it directly, as its admin (or REDIS_URL without ACL).
const account = redisAccountFromEnvironment();
const redisUrl = account.url;
// The CA of a rediss:// Redis (the local one: the local CA), as a deployment's REDIS_TLS_CA_FILE.
const tls = { tlsCaFile: account.tlsCaFile };

/** The QUOTA_EXCEEDED details of a refused acquire, or 'granted'. */
async function attempt(slots: Replica, tenantId: string): Promise<unknown> {
  try {
    await slots.acquire(tenantId);
    return 'granted';
  } catch (error) {
    if (isTesseraError(error)) return { code: error.code, ...error.extensions };
    throw error;
  }
}

/** A replica's slots with every tenant's limit fixed (the gateway passes each tenant's maxOpenSubscriptions). */
interface Replica {
  acquire(tenantId: string): Promise<() => void>;
  close(): Promise<void>;
}

/**
 * The open-subscription limit across gateway replicas (real Redis): slots are leases in one
 * sorted set per tenant, renewed by the replica that holds them.
 */
describe('shared subscription slots', () => {
  let keyPrefix: string;
  const open: SharedSubscriptionSlots[] = [];
  const replica = (limit: number, options: { leaseMs?: number; url?: string } = {}): Replica => {
    const slots = new SharedSubscriptionSlots({ redis: { url: options.url ?? redisUrl, keyPrefix, ...tls }, logger: createLogger('silent'), ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}) });
    open.push(slots);
    return { acquire: (tenantId) => slots.acquire(tenantId, limit), close: () => slots.close() };
  };

  beforeEach(() => {
    keyPrefix = `ttest-${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((slots) => slots.close()));
  });

  it('counts the slots of every replica against one limit; a release frees one for any replica', async () => {
    const [a, b] = [replica(3), replica(3)];
    const releaseA = await a.acquire('acme');
    await a.acquire('acme');
    await b.acquire('acme');
    expect(await attempt(b, 'acme')).toEqual({ code: 'QUOTA_EXCEEDED', quota: 'maxOpenSubscriptions', limit: 3, used: 3 });
    expect(await attempt(a, 'acme')).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(await attempt(b, 'globex')).toBe('granted'); // another tenant's slots are its own
    releaseA();
    releaseA(); // idempotent: frees one slot, not two
    // The release is sent without waiting; the next acquire on the same connection comes after it.
    expect(await attempt(a, 'acme')).toBe('granted');
    expect(await attempt(b, 'acme')).toMatchObject({ code: 'QUOTA_EXCEEDED' });
  });

  it('slots a dead replica left behind expire with their lease; live ones are renewed', async () => {
    const redis = new Redis(redisUrl, redisConnectionOptions(account));
    const keys = new LiveQuotaKeys(keyPrefix);
    try {
      const key = `${keyPrefix}:subscriptions:tenant:acme`;
      expect(keys.openSubscriptions('acme')).toBe(key);
      // Two slots of a replica that died a while ago: their leases ran out.
      await redis.zadd(key, Date.now() - 1_000, 'dead-1', Date.now() - 1_000, 'dead-2');
      // tenantUsage's reader counts what the slots count: expired leases are not open subscriptions.
      expect(await readOpenSubscriptions(redis, keys, 'acme', Date.now())).toBe(0);
      // Leases long enough that a loaded machine's scheduling delays cannot outlast a renewal (every lease / 3).
      const live = replica(2, { leaseMs: 1_500 });
      expect(await attempt(live, 'acme')).toBe('granted');
      expect(await redis.zrange(key, 0, -1)).toHaveLength(1);
      expect(await readOpenSubscriptions(redis, keys, 'acme', Date.now())).toBe(1);
      // Three lease lengths later the live slot is still held (renewed every 500 ms).
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      const other = replica(1, { leaseMs: 1_500 });
      expect(await attempt(other, 'acme')).toMatchObject({ code: 'QUOTA_EXCEEDED' });
      // Closing a replica gives its slots back.
      await live.close();
      expect(await attempt(other, 'acme')).toBe('granted');
    } finally {
      redis.disconnect();
    }
  });

  it('with Redis unreachable, a replica counts its own slots (the limit still holds per replica)', async () => {
    const offline = replica(2, { url: 'redis://127.0.0.1:1' });
    expect(await attempt(offline, 'acme')).toBe('granted');
    expect(await attempt(offline, 'acme')).toBe('granted');
    expect(await attempt(offline, 'acme')).toEqual({ code: 'QUOTA_EXCEEDED', quota: 'maxOpenSubscriptions', limit: 2, used: 2 });
  });
});
