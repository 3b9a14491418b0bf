import type { RedisConfig } from '@tessera/config';
import { openRedis } from '@tessera/job-queue';

/**
 * Every Redis key of one tenant under the platform's prefix: the keys with the tenant id as a
 * whole `:`-separated segment (rate-limit and quota counters, job leases, channels' state), its
 * BullMQ queue (`<prefix>:jobs-<tenant>:…`), and its entries in the job rings (sorted sets of
 * tenant ids). A segment match, never a substring: tenant `acme` must not take `acme2`'s keys.
 */
export async function eraseTenantRedisKeys(redis: RedisConfig, tenantId: string): Promise<number> {
  const client = openRedis(redis, 'tenant-erasure', 'request');
  const prefix = redis.keyPrefix;
  try {
    let removed = 0;
    let cursor = '0';
    const rings: string[] = [];
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      const ours = keys.filter((key) => belongsTo(key, prefix, tenantId));
      for (const key of keys) if (key.startsWith(`${prefix}:jobs:ring`) && !ours.includes(key)) rings.push(key);
      if (ours.length > 0) removed += await client.del(...ours);
    } while (cursor !== '0');
    for (const ring of rings) removed += await client.zrem(ring, tenantId).catch(() => 0);
    return removed;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

function belongsTo(key: string, prefix: string, tenantId: string): boolean {
  const rest = key.slice(prefix.length + 1);
  if (rest.startsWith(`jobs-${tenantId}:`)) return true;
  return rest.split(':').includes(tenantId);
}
