import type { RedisConfig } from '@tessera/config';
import { openRedis } from '@tessera/job-queue';

/**
 * Every Redis key of one tenant under the platform's prefix: the keys with the tenant id in its
 * place in the platform's key names (rate-limit and quota counters, job leases, serving generation), its
 * BullMQ queue (`<prefix>:jobs-<tenant>:…`), its dedicated pool's keys (`…:dedicated-<tenant>`: the
 * ring, its membership set and the pool's start counter), and its entries in the other pools' rings (a list of tenant ids and
 * the set that keeps it unique). A segment match, never a substring: tenant `acme` must not take
 * `acme2`'s keys.
 */
export async function eraseTenantRedisKeys(redis: RedisConfig, tenantId: string): Promise<number> {
  const client = openRedis(redis, 'tenant-erasure', 'request');
  const prefix = redis.keyPrefix;
  try {
    let removed = 0;
    let cursor = '0';
    const rings: Array<{ key: string; kind: 'list' | 'set' }> = [];
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      const ours = keys.filter((key) => belongsTo(key, prefix, tenantId));
      for (const key of keys) {
        if (ours.includes(key)) continue;
        if (key.startsWith(`${prefix}:jobs:ring:`)) rings.push({ key, kind: 'list' });
        else if (key.startsWith(`${prefix}:jobs:ring-members:`)) rings.push({ key, kind: 'set' });
      }
      if (ours.length > 0) removed += await client.del(...ours);
    } while (cursor !== '0');
    // A ring is a list of tenant ids with a set beside it (TenantRing): LREM and SREM, not ZREM.
    for (const ring of rings) removed += ring.kind === 'list' ? await client.lrem(ring.key, 0, tenantId) : await client.srem(ring.key, tenantId);
    return removed;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

/** The keys a worker pool has (JobQueueKeys: ring, ringMembers, startSequence, poolSlots, poolBusy). */
const dedicatedPoolKinds = ['ring', 'ring-members', 'start-seq', 'pool-slots', 'pool-busy'] as const;

/**
 * The platform's key names that hold a tenant id, by where the id sits (the names of
 * `@tessera/redis-acl`'s service ACLs: LiveQuotaKeys, JobQueueKeys, the serving generation):
 * `[namespace..., id, anything after]`. Only the id's own position counts: a tenant id is a word a
 * platform admin picks, and may equal a word of the names themselves.
 */
const tenantKeyShapes: ReadonlyArray<{ namespace: readonly string[]; after: 'none' | 'one' }> = [
  { namespace: ['ratelimit', 'tenant'], after: 'one' },
  { namespace: ['subscriptions', 'tenant'], after: 'none' },
  { namespace: ['predictions-per-minute'], after: 'one' },
  { namespace: ['predictions-in-flight'], after: 'none' },
  { namespace: ['serving-generation'], after: 'none' },
  { namespace: ['jobs', 'leases'], after: 'none' },
  { namespace: ['tenant'], after: 'one' },
];

/** The first segments of those names, and of the shared job keys: a key under them is matched by shape only. */
const knownNamespaces = new Set(['ratelimit', 'subscriptions', 'predictions-per-minute', 'predictions-in-flight', 'serving-generation', 'jobs', 'tenant', 'tenants', 'access']);

function belongsTo(key: string, prefix: string, tenantId: string): boolean {
  const rest = key.slice(prefix.length + 1);
  // Its BullMQ queue.
  if (rest.startsWith(`jobs-${tenantId}:`)) return true;
  // Its dedicated pool's keys, named after the pool (`dedicated-<tenant>`): the ring and its
  // membership set, and the start counter its workers INCR (`jobs:start-seq:dedicated-<tenant>`,
  // before left behind). Only these kinds: `dedicated-<tenant>` is also a valid tenant id of its
  // own, whose keys (`jobs:leases:dedicated-<tenant>`, its counters) are not this tenant's.
  if (dedicatedPoolKinds.some((kind) => rest === `jobs:${kind}:dedicated-${tenantId}`)) return true;
  const segments = rest.split(':');
  for (const shape of tenantKeyShapes) {
    const at = shape.namespace.length;
    if (segments.length !== at + 1 + (shape.after === 'one' ? 1 : 0)) continue;
    if (shape.namespace.every((word, index) => segments[index] === word) && segments[at] === tenantId) return true;
  }
  // A name this list does not know yet (not another tenant's queue, not a known namespace): the
  // tenant id as a whole segment after its first, so a new per-tenant key is not left behind.
  // Before, this rule applied to every key: erasing a tenant `meta` took every tenant's queue
  // metadata (`jobs-<t>:meta`), `jobs` every lease and ring, `tenant` every rate-limit counter.
  if (segments[0]!.startsWith('jobs-') || knownNamespaces.has(segments[0]!)) return false;
  return segments.slice(1).includes(tenantId);
}
