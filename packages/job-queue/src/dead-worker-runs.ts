import type { Redis } from 'ioredis';
import { keepsHeadroom } from './pool-slots';
import { JobQueueKeys, type WorkerPool } from './queue-keys';

// Releases one entry a dead worker held: its lock goes (only if it is still that worker's), the
// entry is marked as a stalled candidate and the queue's stalled-check throttle is cleared, so the
// next stalled check of any consumer of the queue moves it back at once, with BullMQ's own
// accounting (its stalled counter; past the limit the entry carries a deferred failure).
const releaseScript = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[3])
return 1`;

export interface ReleasedRuns {
  /** Queue entries the worker held, now waiting for the next stalled check. */
  entries: number;
  /** Tenant concurrency leases the worker held, now free. */
  leases: number;
}

/**
 * A worker process that died (kill -9, OOM, crash) leaves its entries locked and its tenants'
 * concurrency leases taken until they expire (WORKER_LOCK_MS), and BullMQ's stalled check needs
 * one more interval after that. Whoever saw it die (the supervisor that ran it) calls this with the
 * worker's instance id: its locks (whose tokens start with the id) and leases (whose holders do)
 * in the pool's ring are released now, with its announced slots and busy slots in a shared pool,
 * and the pool's workers are woken to take the entries again.
 */
export async function releaseRunsOfDeadWorker(redis: Redis, prefix: string, pool: WorkerPool, instanceId: string): Promise<ReleasedRuns> {
  const keys = new JobQueueKeys(prefix);
  const mine = (value: string) => value.startsWith(`${instanceId}:`);
  const released: ReleasedRuns = { entries: 0, leases: 0 };
  for (const tenant of await redis.lrange(keys.ring(pool), 0, -1)) {
    for (const jobId of await redis.lrange(keys.tenantQueue(tenant, 'active'), 0, -1)) {
      const lockKey = keys.tenantQueue(tenant, `${jobId}:lock`);
      const token = await redis.get(lockKey);
      if (token === null || !mine(token)) continue;
      const done = await redis.eval(releaseScript, 3, lockKey, keys.tenantQueue(tenant, 'stalled'), keys.tenantQueue(tenant, 'stalled-check'), token, jobId);
      if (done === 1) released.entries++;
    }
    const holders = (await redis.zrange(keys.leases(tenant), 0, -1)).filter(mine);
    if (holders.length > 0) released.leases += await redis.zrem(keys.leases(tenant), ...holders);
  }
  if (keepsHeadroom(pool)) {
    // Its slots leave the pool's size and its jobs the pool's busy slots (they mirror the leases above).
    try {
      await redis.hdel(keys.poolSlots(pool), instanceId);
      const busy = (await redis.zrange(keys.poolBusy(pool), 0, -1)).filter(mine);
      if (busy.length > 0) await redis.zrem(keys.poolBusy(pool), ...busy);
    } catch (error) {
      // A worker user whose ACL predates these keys: its workers keep no headroom, nothing to release.
      if (!(error instanceof Error && error.message.includes('NOPERM'))) throw error;
    }
  }
  if (released.entries + released.leases > 0) await redis.publish(keys.wakeChannel(pool), '1');
  return released;
}
