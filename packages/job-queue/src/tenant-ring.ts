import type { Redis } from 'ioredis';
import { JobQueueKeys, type WorkerPool } from './queue-keys';

// Adds the tenant at the tail unless it is already in the ring (membership set keeps it unique).
const addScript = `
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[1])
end
return 1`;

/**
 * The fair part of the scheduler: a Redis list of the tenants that have work in a pool, rotated
 * with LMOVE (head → tail) by every worker slot of every worker process. Each pick takes the
 * tenant at the head, so a tenant with 1 000 queued jobs and one with 1 job alternate; the queue
 * length of a tenant does not matter, only how many tenants have work.
 *
 * Invariant: a tenant with an unfinished queue entry is in the ring. Producers add the tenant
 * AFTER adding the entry; workers remove a tenant only when its queue looks empty, then look
 * again and put it back if an entry arrived in between.
 */
export class TenantRing {
  private readonly keys: JobQueueKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = new JobQueueKeys(prefix);
  }

  async add(pool: WorkerPool, tenantId: string): Promise<void> {
    await this.redis.eval(addScript, 2, this.keys.ringMembers(pool), this.keys.ring(pool), tenantId);
  }

  /** The next tenant in round-robin order (moved to the tail), or null when no tenant has work. */
  async next(pool: WorkerPool): Promise<string | null> {
    const ring = this.keys.ring(pool);
    return this.redis.lmove(ring, ring, 'LEFT', 'RIGHT');
  }

  async remove(pool: WorkerPool, tenantId: string): Promise<void> {
    await this.redis.multi().srem(this.keys.ringMembers(pool), tenantId).lrem(this.keys.ring(pool), 0, tenantId).exec();
  }

  async size(pool: WorkerPool): Promise<number> {
    return this.redis.llen(this.keys.ring(pool));
  }

  async members(pool: WorkerPool): Promise<string[]> {
    return this.redis.lrange(this.keys.ring(pool), 0, -1);
  }
}
