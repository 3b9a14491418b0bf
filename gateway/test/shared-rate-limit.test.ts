import { redisAccountFromEnvironment } from '@tessera/redis-acl';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLogger, redisConnectionOptions } from '@tessera/config';
import { isTesseraError } from '@tessera/errors';
import { LiveQuotaKeys, minuteOf, readCostUnitsInMinute } from '@tessera/quotas';
import { CostRateLimiter } from '../src/pipeline/cost-rate-limit';
import { SharedRateLimitSync } from '../src/shared-rate-limit';

// The local Redis has its ACL on: these tests talk to it directly, as its admin (or REDIS_URL without ACL).
const account = redisAccountFromEnvironment();
const redisUrl = account.url;
// The CA of a rediss:// Redis (the local one: the local CA), as a deployment's REDIS_TLS_CA_FILE.
const tls = { tlsCaFile: account.tlsCaFile };

/** One gateway replica's limiter and its sync, on a pinned clock. */
function replica(keyPrefix: string, clock: { now: number }, url = redisUrl) {
  const limiter = new CostRateLimiter();
  const sync = new SharedRateLimitSync(limiter, { redis: { url, keyPrefix, ...tls }, logger: createLogger('silent'), now: () => clock.now });
  /** How many of `attempts` requests the replica lets through right now. */
  const admit = (tenantId: string, perMinute: number, attempts: number) => {
    let admitted = 0;
    for (let i = 0; i < attempts; i++) {
      try {
        limiter.take(tenantId, { costPerMinute: perMinute, costBurst: perMinute }, 1, clock.now);
        admitted += 1;
      } catch (error) {
        if (!(isTesseraError(error) && error.code === 'RATE_LIMITED')) throw error;
      }
    }
    return admitted;
  };
  return { limiter, sync, admit };
}

/**
 * The per-tenant rate limit across gateway replicas (real Redis): each replica admits locally,
 * and the counts they exchange make their buckets drain together.
 */
describe('shared per-tenant rate limit', () => {
  let keyPrefix: string;
  const clock = { now: Date.UTC(2026, 10, 25, 12, 0, 10) }; // 10 s into a minute
  const replicas: Array<ReturnType<typeof replica>> = [];
  const start = () => {
    const r = replica(keyPrefix, clock);
    replicas.push(r);
    return r;
  };

  beforeEach(() => {
    keyPrefix = `ttest-${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((r) => r.sync.close()));
  });

  it('two replicas together admit the tenant\'s rate once, not twice', async () => {
    const [a, b] = [start(), start()];
    expect(a.admit('acme', 60, 30)).toBe(30);
    await a.sync.syncNow();
    expect(b.admit('acme', 60, 1)).toBe(1);
    await b.sync.syncNow(); // learns A's 30
    expect(b.admit('acme', 60, 40)).toBe(29);
    await b.sync.syncNow();
    await a.sync.syncNow(); // learns B's 30
    expect(a.admit('acme', 60, 10)).toBe(0);
  });

  it('another tenant\'s budget is untouched, and a new minute starts from what was admitted in it', async () => {
    const [a, b] = [start(), start()];
    expect(a.admit('acme', 10, 10)).toBe(10);
    expect(b.admit('globex', 10, 3)).toBe(3);
    await Promise.all([a.sync.syncNow(), b.sync.syncNow()]);
    await Promise.all([a.sync.syncNow(), b.sync.syncNow()]);
    expect(b.admit('globex', 10, 10)).toBe(7);
    expect(a.admit('acme', 10, 1)).toBe(0);
    // A minute later the buckets have refilled; the new minute's counter holds only what comes now.
    clock.now += 60_000;
    expect(a.admit('acme', 10, 4)).toBe(4);
    await a.sync.syncNow();
    expect(b.admit('acme', 10, 1)).toBe(1);
    await b.sync.syncNow();
    expect(b.admit('acme', 10, 10)).toBe(5);
  });

  it('tenantUsage reads the minute\'s fleet total; a fraction of a unit charged from a nearly empty bucket waits instead of failing the sync', async () => {
    const [a, b] = [start(), start()];
    const redis = new Redis(redisUrl, redisConnectionOptions(account));
    const read = () => readCostUnitsInMinute(redis, new LiveQuotaKeys(keyPrefix), 'acme', minuteOf(clock.now));
    try {
      expect(await read()).toBe(0);
      expect(a.admit('acme', 10, 10)).toBe(10);
      expect(b.admit('acme', 10, 2)).toBe(2);
      await Promise.all([a.sync.syncNow(), b.sync.syncNow()]);
      expect(await read()).toBe(12);
      // 1.5 s later A's bucket has refilled a quarter unit; a refused document is charged into debt,
      // at most one bucket deep: 10.25 units, of which 10 are reported and the quarter waits.
      const rate = { costPerMinute: 10, costBurst: 10 };
      clock.now += 1_500;
      a.limiter.charge('acme', rate, 100, clock.now);
      await a.sync.syncNow();
      expect(await read()).toBe(22);
      // The fraction adds up with later units and is reported as whole ones, never lost nor failing.
      clock.now += 6_000; // one more unit refilled and charged: 1.25 unsynced, 1 reported
      a.limiter.charge('acme', rate, 100, clock.now);
      await a.sync.syncNow();
      expect(await read()).toBe(23);
      expect(a.admit('acme', 10, 1)).toBe(0);
    } finally {
      redis.disconnect();
      clock.now = Date.UTC(2026, 10, 25, 12, 0, 10);
    }
  });

  it('a replica that admits nothing for a tenant reads its counter only every idleReadIntervalMs, and then learns what the others admitted', async () => {
    const b = start();
    const limiter = new CostRateLimiter();
    const a = new SharedRateLimitSync(limiter, { redis: { url: redisUrl, keyPrefix, ...tls }, logger: createLogger('silent'), now: () => clock.now, intervalMs: 20, idleReadIntervalMs: 100 });
    const notEmpty = () => {
      try {
        limiter.assertNotEmpty('acme', { costPerMinute: 40, costBurst: 40 }, clock.now);
        return true;
      } catch (error) {
        if (isTesseraError(error) && error.code === 'RATE_LIMITED') return false;
        throw error;
      }
    };
    try {
      for (let i = 0; i < 10; i++) limiter.take('acme', { costPerMinute: 40, costBurst: 40 }, 1, clock.now);
      await a.syncNow();
      expect(b.admit('acme', 40, 30)).toBe(30); // the fleet's whole minute: 10 + 30
      await b.sync.syncNow();
      a.start();
      // Several intervals on a clock that does not move: A read acme just now and admitted nothing since, so it does not ask.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(notEmpty()).toBe(true);
      // idleReadIntervalMs later A reads the counter and takes B's 30 out of its bucket.
      clock.now += 100;
      const deadline = Date.now() + 5_000;
      while (notEmpty() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(notEmpty()).toBe(false);
    } finally {
      await a.close();
    }
  });

  it('with Redis unreachable each replica limits alone, and reports its counts once Redis answers', async () => {
    const offline = replica(keyPrefix, clock, 'redis://127.0.0.1:1');
    replicas.push(offline);
    expect(offline.admit('acme', 10, 4)).toBe(4);
    await offline.sync.syncNow(); // fails: the 4 stay unsynced
    expect(offline.admit('acme', 10, 10)).toBe(6);
    // The same limiter behind a reachable Redis: its 10 admitted requests reach the counter.
    const online = new SharedRateLimitSync(offline.limiter, { redis: { url: redisUrl, keyPrefix, ...tls }, logger: createLogger('silent'), now: () => clock.now });
    await online.syncNow();
    await online.close();
    const redis = new Redis(redisUrl, redisConnectionOptions(account));
    try {
      const [key] = await redis.keys(`${keyPrefix}:ratelimit:tenant:acme:*`);
      expect(Number(await redis.get(key!))).toBe(10);
    } finally {
      redis.disconnect();
    }
  });
});
