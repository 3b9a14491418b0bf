import { redisAccountFromEnvironment } from '@tessera/redis-acl';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLogger, redisConnectionOptions } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import { PredictionsPerMinute } from '../src';

// The local Redis has its ACL on: these tests talk to it directly, as its admin (or REDIS_URL without ACL).
const account = redisAccountFromEnvironment();
const redisUrl = account.url;
// The CA of a rediss:// Redis (the local one: the local CA), as a deployment's REDIS_TLS_CA_FILE.
const tls = { tlsCaFile: account.tlsCaFile };
const logger = createLogger('silent');

/** The refusal of `take`, asserted to be a TesseraError. */
async function refusal(limiter: PredictionsPerMinute, tenantId: string, limit: number): Promise<TesseraError> {
  const error: unknown = await limiter.take(tenantId, limit).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TesseraError);
  return error as TesseraError;
}

describe('predictions per minute (real Redis)', () => {
  const keyPrefix = `ttest-ppm-${randomBytes(4).toString('hex')}`;
  // A pinned clock in the middle of a minute; tests move it explicitly.
  let now = Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
  const replicaA = new PredictionsPerMinute({ redis: { url: redisUrl, keyPrefix, ...tls }, logger, now: () => now });
  const replicaB = new PredictionsPerMinute({ redis: { url: redisUrl, keyPrefix, ...tls }, logger, now: () => now });

  afterAll(async () => {
    await Promise.all([replicaA.close(), replicaB.close()]);
    const redis = new Redis(redisUrl, redisConnectionOptions(account));
    const keys = await redis.keys(`${keyPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('two replicas share one count per tenant and minute; refusals do not count; other tenants are separate', async () => {
    await replicaA.take('tenant-a', 3);
    await replicaB.take('tenant-a', 3);
    await replicaA.take('tenant-a', 3);
    for (const replica of [replicaA, replicaB]) {
      const error = await refusal(replica, 'tenant-a', 3);
      expect(error.code).toBe('QUOTA_EXCEEDED');
      expect(error.extensions).toMatchObject({ quota: 'predictionsPerMinute', limit: 3, used: 3, retryAfterSeconds: 30 });
    }
    await replicaB.take('tenant-b', 3);
  });

  it('a new minute starts a new count; a raised limit applies at once', async () => {
    await replicaA.take('tenant-c', 1);
    expect((await refusal(replicaB, 'tenant-c', 1)).extensions).toMatchObject({ used: 1 });
    await replicaB.take('tenant-c', 2);
    now += 60_000;
    await replicaA.take('tenant-c', 1);
    expect((await refusal(replicaA, 'tenant-c', 1)).extensions).toMatchObject({ used: 1 });
  });

  it('with Redis unreachable, a replica keeps limiting on its own count', async () => {
    const alone = new PredictionsPerMinute({ redis: { url: 'redis://127.0.0.1:1', keyPrefix }, logger, now: () => now });
    try {
      await alone.take('tenant-d', 2);
      await alone.take('tenant-d', 2);
      expect((await refusal(alone, 'tenant-d', 2)).extensions).toMatchObject({ quota: 'predictionsPerMinute', limit: 2, used: 2 });
    } finally {
      await alone.close();
    }
  });
});
