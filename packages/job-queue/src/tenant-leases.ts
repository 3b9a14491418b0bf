import type { Redis } from 'ioredis';
import { JobQueueKeys, type WorkerPool } from './queue-keys';

// Times come from the Redis server (TIME), so worker machines with skewed clocks agree on expiry.
const acquireScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
  return 1
end
return 0`;

const renewScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local renewed = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
return renewed`;

// The same lease, taken in a pool that keeps headroom (KEYS: the tenant's leases, the pool's
// announced slots, the pool's busy slots; ARGV: limit, ttl, holder, headroom). A tenant that already
// holds a lease may not take a slot that would leave fewer than `headroom` of the pool's slots free;
// a tenant holding none is never held back, so its first job finds the slots kept for it. The check
// and the take are one script: two workers picking at once cannot both take the last slot above the
// headroom. Announcements past their expiry (a worker that died) are dropped, not counted.
// Returns 1 (taken), 0 (the tenant's own limit), -1 (held back for the headroom).
const acquireInPoolScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZCARD', KEYS[1])
if held >= tonumber(ARGV[1]) then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local headroom = tonumber(ARGV[4])
if held > 0 and headroom > 0 then
  local slots = 0
  local workers = redis.call('HGETALL', KEYS[2])
  for i = 1, #workers, 2 do
    local count, expires = string.match(workers[i + 1], '^(%d+):(%d+)$')
    if count == nil or tonumber(expires) <= now then
      redis.call('HDEL', KEYS[2], workers[i])
    else
      slots = slots + tonumber(count)
    end
  end
  if slots - redis.call('ZCARD', KEYS[3]) - 1 < headroom then return -1 end
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
redis.call('ZADD', KEYS[3], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[3], ttl * 2)
return 1`;

// Renews a lease in the tenant's set and, when given, the pool's busy slots (KEYS[2]).
const renewInPoolScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local renewed = redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
redis.call('ZADD', KEYS[2], 'XX', now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1]) * 2)
return renewed`;

const releaseInPoolScript = `
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])`;

// Leases whose expiry is still ahead, by the same clock `acquire` uses (Redis's TIME), so an expired
// lease nobody has swept yet (a killed worker's) is not counted as a running job.
const liveScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')`;

/**
 * The tenant's running jobs as its concurrency limit (maxConcurrentJobs) counts them: the live
 * leases held across every worker process. The read half of TenantLeases, for usage reports; it
 * takes no lease and needs no lease ttl.
 */
export async function countLiveLeases(redis: Redis, keys: JobQueueKeys, tenantId: string): Promise<number> {
  // EVAL_RO: a read-only Redis user (the metrics service's) may run it; EVAL counts as a write.
  return Number(await redis.eval_ro(liveScript, 1, keys.leases(tenantId)));
}

/**
 * A shared pool's headroom (WORKER_POOL_HEADROOM_SLOTS): a tenant already running a job in the pool
 * may not take a slot that would leave fewer than `headroomSlots` free, so a tenant with nothing
 * running finds a slot at once however busy the others are. 0 keeps no headroom (busy tenants may
 * fill every slot); the pool's busy slots are still kept, so workers with different settings agree
 * on how many slots are free.
 */
export interface PoolHeadroom {
  pool: WorkerPool;
  headroomSlots: number;
}

/** Why `take` gave a lease or not: `tenant-limit` is maxConcurrentJobs, `headroom` the pool's headroom. */
export type LeaseOutcome = 'granted' | 'tenant-limit' | 'headroom';

/**
 * A tenant's concurrency limit across every worker process: a running job holds a lease (a member
 * of a sorted set scored by its expiry). A worker killed with -9 cannot release its lease; it
 * expires after `ttlMs`, the same order of time BullMQ takes to notice the stalled job, so the
 * recovered job finds its slot free again. With a pool's headroom, the lease is also one of the
 * pool's busy slots (same holder, same expiry), taken, renewed and released with it.
 */
export class TenantLeases {
  private readonly keys: JobQueueKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ttlMs: number,
    private readonly headroom?: PoolHeadroom,
  ) {
    this.keys = new JobQueueKeys(prefix);
  }

  async acquire(tenantId: string, holder: string, limit: number): Promise<boolean> {
    return (await this.take(tenantId, holder, limit)) === 'granted';
  }

  /** Takes a lease if the tenant's limit (and the pool's headroom, when kept) allows it, and says which refused it. */
  async take(tenantId: string, holder: string, limit: number): Promise<LeaseOutcome> {
    if (!this.headroom) {
      const result = await this.redis.eval(acquireScript, 1, this.keys.leases(tenantId), String(limit), String(this.ttlMs), holder);
      return result === 1 ? 'granted' : 'tenant-limit';
    }
    const { pool, headroomSlots } = this.headroom;
    const result = await this.redis.eval(
      acquireInPoolScript,
      3,
      this.keys.leases(tenantId),
      this.keys.poolSlots(pool),
      this.keys.poolBusy(pool),
      String(limit),
      String(this.ttlMs),
      holder,
      String(headroomSlots),
    );
    return result === 1 ? 'granted' : result === -1 ? 'headroom' : 'tenant-limit';
  }

  async renew(tenantId: string, holder: string): Promise<void> {
    if (!this.headroom) {
      await this.redis.eval(renewScript, 1, this.keys.leases(tenantId), String(this.ttlMs), holder);
      return;
    }
    await this.redis.eval(renewInPoolScript, 2, this.keys.leases(tenantId), this.keys.poolBusy(this.headroom.pool), String(this.ttlMs), holder);
  }

  async release(tenantId: string, holder: string): Promise<void> {
    if (!this.headroom) {
      await this.redis.zrem(this.keys.leases(tenantId), holder);
      return;
    }
    await this.redis.eval(releaseInPoolScript, 2, this.keys.leases(tenantId), this.keys.poolBusy(this.headroom.pool), holder);
  }

  /** Leases held now (expired ones not counted, even before the next acquire sweeps them). */
  held(tenantId: string): Promise<number> {
    return countLiveLeases(this.redis, this.keys, tenantId);
  }
}
