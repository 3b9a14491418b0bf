import { errors } from '@tessera/errors';
import { tooComplex } from './operation-analysis';

/**
 * Per-tenant token bucket of cost units per minute (the tenant's `costPerMinute`), so one tenant's
 * burst cannot starve the others at the gateway and aliasing cannot multiply its budget: an
 * operation takes its cost, not one request. The check is local and costs no I/O; with several
 * gateway replicas, SharedRateLimitSync tells each replica what the others consumed, so the
 * buckets drain together and a tenant gets its rate across the fleet, not N × it.
 */
/**
 * A tenant's rate: `perMinute` units refill the bucket over a minute; `burst` is how much it holds
 * (how much can be spent at once after a quiet spell). A plain number is a bucket of a whole minute.
 */
export interface CostRate {
  perMinute: number;
  burst: number;
}

function rateOf(rate: number | CostRate): { perSecond: number; capacity: number; perMinute: number } {
  const perMinute = Math.max(1, typeof rate === 'number' ? rate : rate.perMinute);
  const capacity = Math.max(1, Math.min(perMinute, typeof rate === 'number' ? rate : rate.burst));
  return { perMinute, capacity, perSecond: perMinute / 60 };
}

/**
 * The burst a tenant's budget allows: ten seconds of it, but never less than one operation at the
 * operation cost limit (plus a route's or subscription's weight), nor more than the whole minute.
 * A tenant that was quiet for a while cannot spend its whole minute in its first second.
 */
export function costRateOf(limits: { costPerMinute: number; maxOperationCost: number }): CostRate {
  return { perMinute: limits.costPerMinute, burst: Math.min(limits.costPerMinute, Math.max(limits.costPerMinute / 6, limits.maxOperationCost + 100)) };
}

export class CostRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updated: number; unsynced: number }>();

  /** Takes `cost` units (at least 1) or throws RATE_LIMITED with the wait until they are there. */
  take(key: string, rate: number | CostRate, cost = 1, now = Date.now()): void {
    const { capacity, perSecond } = rateOf(rate);
    const units = Math.max(1, cost);
    // Never affordable, however long the caller waits: say so instead of a retry that cannot succeed.
    if (units > capacity) throw tooComplex('costPerMinute', capacity, units);
    const bucket = this.refilled(key, capacity, perSecond, now);
    if (bucket.tokens < units) throw errors.rateLimited(Math.max(1, Math.ceil((units - bucket.tokens) / perSecond)));
    bucket.tokens -= units;
    bucket.unsynced += units;
  }

  /**
   * Throws RATE_LIMITED when the bucket holds less than one unit, without taking anything: a tenant
   * that already spent its minute is refused before its operation is even parsed, so a flood of
   * refused requests costs the gateway as little as possible.
   */
  assertNotEmpty(key: string, rate: number | CostRate, now = Date.now()): void {
    const bucket = this.buckets.get(key);
    if (!bucket) return;
    const { capacity, perSecond } = rateOf(rate);
    const tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updated) / 1000) * perSecond);
    if (tokens < 1) throw errors.rateLimited(Math.max(1, Math.ceil((1 - tokens) / perSecond)));
  }

  /**
   * Takes up to `units` without refusing (the bucket never goes below empty): for work already
   * done on a request that is refused anyway, so refusals drain the same budget as answers.
   */
  charge(key: string, rate: number | CostRate, units: number, now = Date.now()): void {
    const { capacity, perSecond } = rateOf(rate);
    const bucket = this.refilled(key, capacity, perSecond, now);
    const taken = Math.min(bucket.tokens, Math.max(1, units));
    bucket.tokens -= taken;
    bucket.unsynced += taken;
  }

  /** The key's bucket, refilled for the time since it was last touched (a new key starts full). */
  private refilled(key: string, capacity: number, perSecond: number, now: number): { tokens: number; updated: number; unsynced: number } {
    const bucket = this.buckets.get(key) ?? { tokens: capacity, updated: now, unsynced: 0 };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updated) / 1000) * perSecond);
    bucket.updated = now;
    this.buckets.set(key, bucket);
    return bucket;
  }

  /** Keys seen within `sinceMs`, each with the units this replica let through since the last call (reset to 0). */
  takeUnsynced(now = Date.now(), sinceMs = 120_000): Array<{ tenantId: string; consumed: number }> {
    const active: Array<{ tenantId: string; consumed: number }> = [];
    for (const [tenantId, bucket] of this.buckets) {
      if (now - bucket.updated > sinceMs && bucket.unsynced === 0) {
        // Idle for two minutes: a full bucket again, nothing worth keeping in memory.
        this.buckets.delete(tenantId);
        continue;
      }
      active.push({ tenantId, consumed: bucket.unsynced });
      bucket.unsynced = 0;
    }
    return active;
  }

  /** Units the tenant's other replicas let through: they come out of this replica's bucket too (never below empty). */
  consumedElsewhere(tenantId: string, units: number): void {
    const bucket = this.buckets.get(tenantId);
    if (!bucket || units <= 0) return;
    bucket.tokens = Math.max(0, bucket.tokens - units);
  }

  /** Gives back what a failed sync had taken out of `unsynced`, so the next sync reports it. */
  restoreUnsynced(tenantId: string, consumed: number): void {
    const bucket = this.buckets.get(tenantId);
    if (bucket) bucket.unsynced += consumed;
  }
}
