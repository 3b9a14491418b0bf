import { errors } from '@tessera/errors';
import { tooComplex } from './operation-analysis';

/**
 * Per-tenant token bucket of cost units per minute (the tenant's `costPerMinute`), so one tenant's
 * burst cannot starve the others at the gateway and aliasing cannot multiply its budget: an
 * operation takes its cost, not one request. The check is local and costs no I/O; with several
 * gateway replicas, SharedRateLimitSync tells each replica what the others consumed, so the
 * buckets drain together and a tenant gets its rate across the fleet, not N × it.
 */
export class CostRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updated: number; unsynced: number }>();

  /** Takes `cost` units (at least 1) or throws RATE_LIMITED with the wait until they are there. */
  take(key: string, perMinute: number, cost = 1, now = Date.now()): void {
    const capacity = Math.max(1, perMinute);
    const units = Math.max(1, cost);
    // Never affordable, however long the caller waits: say so instead of a retry that cannot succeed.
    if (units > capacity) throw tooComplex('costPerMinute', capacity, units);
    const bucket = this.buckets.get(key) ?? { tokens: capacity, updated: now, unsynced: 0 };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updated) / 60_000) * capacity);
    bucket.updated = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < units) throw errors.rateLimited(Math.max(1, Math.ceil(((units - bucket.tokens) * 60) / capacity)));
    bucket.tokens -= units;
    bucket.unsynced += units;
  }

  /**
   * Throws RATE_LIMITED when the bucket holds less than one unit, without taking anything: a tenant
   * that already spent its minute is refused before its operation is even parsed, so a flood of
   * refused requests costs the gateway as little as possible.
   */
  assertNotEmpty(key: string, perMinute: number, now = Date.now()): void {
    const bucket = this.buckets.get(key);
    if (!bucket) return;
    const capacity = Math.max(1, perMinute);
    const tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updated) / 60_000) * capacity);
    if (tokens < 1) throw errors.rateLimited(Math.max(1, Math.ceil(((1 - tokens) * 60) / capacity)));
  }

  /**
   * Takes up to `units` without refusing (the bucket never goes below empty): for work already
   * done on a request that is refused anyway, so refusals drain the same budget as answers.
   */
  charge(key: string, perMinute: number, units: number, now = Date.now()): void {
    const capacity = Math.max(1, perMinute);
    const bucket = this.buckets.get(key) ?? { tokens: capacity, updated: now, unsynced: 0 };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updated) / 60_000) * capacity);
    bucket.updated = now;
    const taken = Math.min(bucket.tokens, Math.max(1, units));
    bucket.tokens -= taken;
    bucket.unsynced += taken;
    this.buckets.set(key, bucket);
  }

  /**
   * Keys seen within `sinceMs`, each with the whole units this replica let through since the last
   * call. Whole units because the shared counter is an integer (Redis INCRBY refuses fractions):
   * `charge` can take a fraction of a unit from a nearly empty bucket, and that fraction waits here
   * until it adds up, instead of failing every sync of the tenant.
   */
  takeUnsynced(now = Date.now(), sinceMs = 120_000): Array<{ tenantId: string; consumed: number }> {
    const active: Array<{ tenantId: string; consumed: number }> = [];
    for (const [tenantId, bucket] of this.buckets) {
      if (now - bucket.updated > sinceMs && bucket.unsynced < 1) {
        // Idle for two minutes: a full bucket again, nothing worth keeping in memory.
        this.buckets.delete(tenantId);
        continue;
      }
      const consumed = Math.floor(bucket.unsynced);
      active.push({ tenantId, consumed });
      bucket.unsynced -= consumed;
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
