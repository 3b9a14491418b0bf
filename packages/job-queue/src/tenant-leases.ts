import type { Redis } from 'ioredis';
import { JobQueueKeys } from './queue-keys';

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
 * A tenant's concurrency limit across every worker process: a running job holds a lease (a member
 * of a sorted set scored by its expiry). A worker killed with -9 cannot release its lease; it
 * expires after `ttlMs`, the same order of time BullMQ takes to notice the stalled job, so the
 * recovered job finds its slot free again.
 */
export class TenantLeases {
  private readonly keys: JobQueueKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ttlMs: number,
  ) {
    this.keys = new JobQueueKeys(prefix);
  }

  async acquire(tenantId: string, holder: string, limit: number): Promise<boolean> {
    const result = await this.redis.eval(acquireScript, 1, this.keys.leases(tenantId), String(limit), String(this.ttlMs), holder);
    return result === 1;
  }

  async renew(tenantId: string, holder: string): Promise<void> {
    await this.redis.eval(renewScript, 1, this.keys.leases(tenantId), String(this.ttlMs), holder);
  }

  async release(tenantId: string, holder: string): Promise<void> {
    await this.redis.zrem(this.keys.leases(tenantId), holder);
  }

  /** Leases held now (expired ones not counted, even before the next acquire sweeps them). */
  held(tenantId: string): Promise<number> {
    return countLiveLeases(this.redis, this.keys, tenantId);
  }
}
