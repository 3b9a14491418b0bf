import { assertGlobSafe, dedicatedWorkerUserName, redisUserName, type RedisService } from './redis-users';

/**
 * What one Redis user may do. Key patterns use Redis 7 selectors: `~p` read and write, `%R~p` read
 * only. Channel patterns (`&p`) cover both publish and subscribe (Redis cannot tell them apart per
 * channel); which of the two a user may do at all is decided by its commands.
 */
export interface RedisAcl {
  user: string;
  keys: string[];
  channels: string[];
  /** `+command`, `+command|subcommand` or `+@category` / `-@category`, applied after `-@all`. */
  commands: string[];
}

/**
 * Every connection needs these: ioredis names its connections (CLIENT SETNAME) and runs INFO as its
 * ready check, BullMQ reads the server version from INFO, health checks PING. AUTH and HELLO are
 * always allowed. INFO shows server statistics, no key or value.
 */
const connection = ['+ping', '+info', '+client|setname', '+client|getname', '+select', '+quit'];

/** EVAL's keys are write access to Redis, whatever the script does: read-only users use EVAL_RO. */
const scripts = ['+eval', '+evalsha', '+eval_ro', '+evalsha_ro'];
const readOnlyScripts = ['+eval_ro', '+evalsha_ro'];

/**
 * BullMQ runs most of its work as Lua scripts (EVALSHA, EVAL on a cache miss), and a script's
 * commands are checked against the caller's ACL too, so a queue user needs the data commands those
 * scripts use (lists, sorted sets, hashes, streams for its events, blocking pops for its marker,
 * TIME for the leases).
 * Key patterns still confine them. Removed: everything @dangerous or @admin (FLUSHALL, KEYS, SORT,
 * MIGRATE, CONFIG, ...), the commands that list or pick keys outside the patterns, and the
 * server-wide commands @write and @read hold that name no key: FUNCTION LOAD/DELETE/FLUSH/RESTORE
 * (the server's one function library; Tessera runs none) and DBSIZE (every tenant's key count).
 */
const queueCommands = ['+@read', '+@write', '+@transaction', '+@blocking', '-@dangerous', '-@admin', '-scan', '-randomkey', '-function', '-dbsize', ...scripts, '+script|load', '+script|exists', '+info', '+time'];

const publish = ['+publish'];
const subscribe = ['+subscribe', '+unsubscribe'];

/** Patterns of the names built by LiveQuotaKeys (@tessera/quotas) and JobQueueKeys/tenantQueueName (@tessera/job-queue). */
const names = (p: string) => ({
  costPerMinute: `${p}:ratelimit:tenant:*`,
  openSubscriptions: `${p}:subscriptions:tenant:*`,
  predictionsPerMinute: `${p}:predictions-per-minute:*`,
  predictionsInFlight: `${p}:predictions-in-flight:*`,
  /** servingGenerationKey (@tessera/models serving): a counter per tenant that serving changes move forward. */
  servingGeneration: `${p}:serving-generation:*`,
  leases: (tenant: string) => `${p}:jobs:leases:${tenant}`,
  ring: (pool: string) => `${p}:jobs:ring:${pool}`,
  ringMembers: (pool: string) => `${p}:jobs:ring-members:${pool}`,
  /** A pool's announced worker slots and its busy slots (the shared pools' headroom; holders only, no tenant id). */
  poolSlots: (pool: string) => `${p}:jobs:pool-slots:${pool}`,
  poolBusy: (pool: string) => `${p}:jobs:pool-busy:${pool}`,
  /** JobQueueKeys.startSequence: the shared pools' start counter, and a dedicated pool's own. */
  sharedStartSequence: `${p}:jobs:start-seq`,
  dedicatedStartSequence: (pool: string) => `${p}:jobs:start-seq:${pool}`,
  wakeChannel: (pool: string) => `${p}:jobs:wake:${pool}`,
  /** BullMQ keys of one tenant queue: `<prefix>:jobs-<tenant>:<suffix>`. */
  tenantQueue: (tenant: string) => `${p}:jobs-${tenant}:*`,
  tenantChannel: (tenant: string, topic: 'jobs' | 'alerts') => `${p}:tenant:${tenant}:${topic}`,
  /** accessChangesChannel (@tessera/tenants/ports): membership and API-key changes, for the gateways' caches. */
  accessChanges: `${p}:access:changed`,
  /** tenantErasedChannel (@tessera/tenants/ports): an erased tenant, for the models replicas' pools and caches. */
  tenantErased: `${p}:tenants:erased`,
  /** tenantChangedChannel (@tessera/tenancy): a tenant's changed record (tier, status, limits), for every service's tenant cache. */
  tenantChanged: `${p}:tenants:changed`,
  /** oneTenantChangedChannel (@tessera/tenancy): the same announcement on the tenant's own channel. */
  oneTenantChanged: (tenant: string) => `${p}:tenants:changed:${tenant}`,
});

const acls: Record<RedisService, (p: string) => Omit<RedisAcl, 'user'>> = {
  // Shared rate limits (cost units per minute) and subscription slots; no queue. It listens for
  // access changes (to drop cached memberships and keys) and changed tenant records (a suspension
  // bites at once), and publishes nothing.
  gateway: (p) => ({
    keys: [`~${names(p).costPerMinute}`, `~${names(p).openSubscriptions}`],
    channels: [`&${names(p).accessChanges}`, `&${names(p).tenantChanged}`],
    commands: [...connection, '+get', '+incrby', '+pexpire', '+zadd', '+zrem', '+zcard', '+zremrangebyscore', ...scripts, ...subscribe],
  }),
  // Predictions per minute (counter), in flight (a hash of replica reports) and the tenants'
  // serving generations (read with every prediction, moved by serving changes; SET starts a lost
  // one). It listens for erasures (to drop the tenant's pools and caches) and for changed tenant
  // records (as every service does: its cached records), and publishes nothing.
  models: (p) => ({
    keys: [`~${names(p).predictionsPerMinute}`, `~${names(p).predictionsInFlight}`, `~${names(p).servingGeneration}`],
    channels: [`&${names(p).tenantErased}`, `&${names(p).tenantChanged}`],
    commands: [...connection, '+get', '+set', '+incr', '+pexpire', '+time', '+hset', '+hdel', '+hgetall', ...scripts, ...subscribe],
  }),
  // The producer side of every tenant's queue (BullMQ), the pools' rings and wake-ups, and job
  // progress events (published on changes it makes, subscribed for `jobUpdated`); changed tenant
  // records (its cache, and a tenant whose tier changed is moved to its new pool's ring).
  jobs: (p) => ({
    keys: [`~${names(p).tenantQueue('*')}`, `~${names(p).ring('*')}`, `~${names(p).ringMembers('*')}`],
    channels: [`&${names(p).wakeChannel('*')}`, `&${names(p).tenantChannel('*', 'jobs')}`, `&${names(p).tenantChanged}`],
    commands: [...connection, ...queueCommands, ...publish, ...subscribe],
  }),
  // Alerts: published when a rule fires, subscribed for `alertFired`; changed tenant records. No keys.
  audit: (p) => ({
    keys: [],
    channels: [`&${names(p).tenantChannel('*', 'alerts')}`, `&${names(p).tenantChanged}`],
    commands: [...connection, ...publish, ...subscribe],
  }),
  // tenantUsage reads the live counters every writer above keeps: read only, scripts as EVAL_RO.
  // It listens for changed tenant records (its cache) and publishes nothing.
  metrics: (p) => ({
    keys: [names(p).costPerMinute, names(p).openSubscriptions, names(p).predictionsPerMinute, names(p).predictionsInFlight, names(p).leases('*')].map((pattern) => `%R~${pattern}`),
    channels: [`&${names(p).tenantChanged}`],
    commands: [...connection, '+get', '+zcount', '+time', '+hgetall', ...readOnlyScripts, ...subscribe],
  }),
  // The datasets service keeps nothing in Redis: it only listens for changed tenant records (its
  // cache, which its ports check a caller's tenant against). No keys, nothing to publish.
  datasets: (p) => ({ keys: [], channels: [`&${names(p).tenantChanged}`], commands: [...connection, ...subscribe] }),
  // Announces membership and API-key changes to the gateways, erasures to the models replicas, and
  // changed tenant records to every service (and hears them, for its own replicas' caches).
  // Erasure removes every key of the erased tenant, whoever wrote it: SCAN to find them, DEL to
  // remove them, LREM/SREM to take its id out of the job rings (a list and its membership set),
  // write-only (%W) on the platform's keys, so it can never read one.
  tenants: (p) => ({
    keys: [`%W~${p}:*`],
    channels: [`&${names(p).accessChanges}`, `&${names(p).tenantErased}`, `&${names(p).tenantChanged}`, `&${names(p).oneTenantChanged('*')}`],
    commands: [...connection, ...publish, ...subscribe, '+scan', '+del', '+lrem', '+srem'],
  }),
  // The shared pool's workers run jobs of every shared-tier tenant, so they reach every tenant
  // queue and every tenant's leases; only the shared pools' rings and wake channels (one per
  // region, `shared-<region>`). A tenant's tier can change at run time, so the ACL cannot leave
  // the dedicated tenants' queues out: the worker's own pool check does (dedicated workers below
  // are confined); a worker's region is its own check too. No tenant's job channel: the jobs
  // service publishes each change a worker reports through its port, so a worker can neither
  // forge a job event for a tenant's subscribers nor listen to every tenant's. It listens for
  // changed tenant records (that one channel, no pattern): its scheduler decides from its cached
  // record whether a tenant's jobs may start, and on how many slots. The shared pools' slot
  // announcements and busy slots: the headroom a busy tenant must leave for others.
  worker: (p) => ({
    keys: [
      `~${names(p).tenantQueue('*')}`,
      `~${names(p).ring('shared-*')}`,
      `~${names(p).ringMembers('shared-*')}`,
      `~${names(p).leases('*')}`,
      `~${names(p).poolSlots('shared-*')}`,
      `~${names(p).poolBusy('shared-*')}`,
      `~${names(p).sharedStartSequence}`,
    ],
    channels: [`&${names(p).wakeChannel('shared-*')}`, `&${names(p).tenantChanged}`],
    commands: [...connection, ...queueCommands, ...publish, ...subscribe],
  }),
};

export function serviceAcl(keyPrefix: string, service: RedisService): RedisAcl {
  return { user: redisUserName(keyPrefix, service), ...acls[service](keyPrefix) };
}

/**
 * A worker of one dedicated-tier tenant: that tenant's queue, leases, ring and wake-ups only (job
 * events: the jobs service's), and the changed-tenant announcements of that tenant alone, on the
 * tenant's own channel (the shared one would tell it which other tenants exist and change).
 */
export function dedicatedWorkerAcl(keyPrefix: string, tenantId: string): RedisAcl {
  assertGlobSafe('tenant id', tenantId);
  const n = names(keyPrefix);
  const pool = `dedicated-${tenantId}`;
  return {
    user: dedicatedWorkerUserName(keyPrefix, tenantId),
    keys: [`~${n.tenantQueue(tenantId)}`, `~${n.ring(pool)}`, `~${n.ringMembers(pool)}`, `~${n.leases(tenantId)}`, `~${n.dedicatedStartSequence(pool)}`],
    channels: [`&${n.wakeChannel(pool)}`, `&${n.oneTenantChanged(tenantId)}`],
    commands: [...connection, ...queueCommands, ...publish, ...subscribe],
  };
}
