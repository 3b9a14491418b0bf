import type { Redis } from 'ioredis';
import { JobQueueKeys, poolName, type WorkerPool } from './queue-keys';

/**
 * What a ring's worker count scales on, read from the queues themselves (the same keys the
 * workers fetch from), with the Redis server's clock so skewed machines agree on ages.
 * Counts only: no tenant id leaves this module, so the numbers can be served to an autoscaler.
 */
export interface RingSignals {
  /** `shared-<region>` or `dedicated-<tenant>`. */
  ring: string;
  /** Entries ready to run now (BullMQ `wait` + `prioritized`) across the ring's tenants. */
  queued: number;
  /** Entries a worker holds (running, or held by a worker that died and is not yet recovered). */
  running: number;
  /** Entries waiting for a retry's backoff. */
  delayed: number;
  /** How long the oldest ready entry has waited, in ms (0 when none waits). */
  oldestWaitMs: number;
  /** Tenants of the ring with unfinished entries. */
  tenants: number;
}

/**
 * Reads one ring's signals. A tenant's oldest ready entry is the tail of its `wait` list (BullMQ
 * pushes new entries at the head and workers take from the tail); its wait counts from when it
 * became ready (added, plus the delay of a retry's backoff).
 */
export async function readRingSignals(redis: Redis, prefix: string, pool: WorkerPool): Promise<RingSignals> {
  const keys = new JobQueueKeys(prefix);
  const [tenants, time] = await Promise.all([redis.lrange(keys.ring(pool), 0, -1), redis.time()]);
  const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  const signals: RingSignals = { ring: poolName(pool), queued: 0, running: 0, delayed: 0, oldestWaitMs: 0, tenants: 0 };
  if (tenants.length === 0) return signals;
  const counts = redis.pipeline();
  for (const tenant of tenants) {
    counts.llen(keys.tenantQueue(tenant, 'wait'));
    counts.zcard(keys.tenantQueue(tenant, 'prioritized'));
    counts.llen(keys.tenantQueue(tenant, 'active'));
    counts.zcard(keys.tenantQueue(tenant, 'delayed'));
    counts.lindex(keys.tenantQueue(tenant, 'wait'), -1);
  }
  const replies = (await counts.exec()) ?? [];
  const oldest: Array<{ tenant: string; jobId: string }> = [];
  tenants.forEach((tenant, i) => {
    const [wait, prioritized, active, delayed, tail] = replies.slice(i * 5, i * 5 + 5).map(([error, value]) => (error ? null : value));
    const ready = Number(wait ?? 0) + Number(prioritized ?? 0);
    signals.queued += ready;
    signals.running += Number(active ?? 0);
    signals.delayed += Number(delayed ?? 0);
    if (ready + Number(active ?? 0) + Number(delayed ?? 0) > 0) signals.tenants++;
    if (typeof tail === 'string') oldest.push({ tenant, jobId: tail });
  });
  if (oldest.length > 0) {
    const stamps = redis.pipeline();
    for (const { tenant, jobId } of oldest) stamps.hmget(keys.tenantQueue(tenant, jobId), 'timestamp', 'delay');
    for (const [error, value] of (await stamps.exec()) ?? []) {
      if (error || !Array.isArray(value)) continue;
      const [timestamp, delay] = value as Array<string | null>;
      if (timestamp === null) continue; // removed between the two reads
      const readyAt = Number(timestamp) + Number(delay ?? 0);
      signals.oldestWaitMs = Math.max(signals.oldestWaitMs, now - readyAt);
    }
  }
  return signals;
}
