import { errors } from '@tessera/errors';
import type { TenantLimits } from '@tessera/tenancy';
import { tooComplex } from './operation-analysis';

/** The two limits that shape a tenant's bucket: its sustained rate and its burst. */
export type CostRate = Pick<TenantLimits, 'costPerMinute' | 'costBurst'>;

interface Bucket {
  tokens: number;
  updated: number;
  unsynced: number;
}

/**
 * Per-tenant token bucket of cost units, so one tenant cannot starve the others at the gateway and
 * aliasing cannot multiply its budget: an operation takes its cost, not one request. The bucket
 * holds at most `costBurst` units (never more than a minute's worth) and refills at
 * `costPerMinute`: a tenant gets its rate over time, but cannot spend a minute of it in one second
 * — on shared cores a whole minute's work arriving at once is what other tenants would feel.
 *
 * The check is local and costs no I/O; with several gateway replicas, SharedRateLimitSync tells
 * each replica what the others consumed, so the buckets drain together and a tenant gets its rate
 * across the fleet, not N × it.
 */
export class CostRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes `cost` units (at least 1) or throws RATE_LIMITED with the wait until they are there. */
  take(key: string, rate: CostRate, cost = 1, now = Date.now()): void {
    const { capacity, perMs } = shape(rate);
    const units = Math.max(1, cost);
    // Never affordable, however long the caller waits: say so instead of a retry that cannot succeed.
    if (units > capacity) throw tooComplex(capacity === rate.costBurst ? 'costBurst' : 'costPerMinute', capacity, units);
    const bucket = this.refilled(key, capacity, perMs, now);
    if (bucket.tokens < units) throw errors.rateLimited(secondsUntil(units - bucket.tokens, perMs));
    bucket.tokens -= units;
    bucket.unsynced += units;
  }

  /**
   * Throws RATE_LIMITED when the bucket holds less than one unit, without taking anything: a tenant
   * that already spent its budget is refused before its operation is even parsed, so a flood of
   * refused requests costs the gateway as little as possible.
   */
  assertNotEmpty(key: string, rate: CostRate, now = Date.now()): void {
    const bucket = this.buckets.get(key);
    if (!bucket) return;
    const { capacity, perMs } = shape(rate);
    const tokens = Math.min(capacity, bucket.tokens + (now - bucket.updated) * perMs);
    if (tokens < 1) throw errors.rateLimited(secondsUntil(1 - tokens, perMs));
  }

  /**
   * Takes `units` without refusing, for work already done on a request that is refused anyway, so
   * refusals drain the same budget as answers. The bucket may go into debt (down to minus its
   * size): otherwise a client resending a refused document would be let in again as soon as one
   * unit had refilled — every millisecond at the default rate — and pay almost nothing for each.
   */
  charge(key: string, rate: CostRate, units: number, now = Date.now()): void {
    const { capacity, perMs } = shape(rate);
    const bucket = this.refilled(key, capacity, perMs, now);
    const taken = Math.min(Math.max(1, units), bucket.tokens + capacity);
    if (taken <= 0) return;
    bucket.tokens -= taken;
    bucket.unsynced += taken;
  }

  /**
   * Takes `units` for work already done and sent, however deep into debt: an answer's size (see
   * `answerSizeCost`). `charge` stops one bucket deep, which suits refusals (their fees are small,
   * and a flood of them should not lock a tenant out for long), but an answer's units are the work
   * the gateway and a subgraph did for it — with the floor, one request answering 78 MiB paid at most
   * two buckets (40 000 units at the defaults), and the rest of its size was forgiven. The tenant
   * waits until it is paid back: at the default rate, a minute per 60 MiB.
   */
  chargeInFull(key: string, rate: CostRate, units: number, now = Date.now()): void {
    const { capacity, perMs } = shape(rate);
    const bucket = this.refilled(key, capacity, perMs, now);
    const taken = Math.max(0, units);
    bucket.tokens -= taken;
    bucket.unsynced += taken;
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

  /**
   * Units the tenant's other replicas let through: they come out of this replica's bucket too, never
   * below empty — and a bucket already in debt (refusals charged here) keeps its debt.
   */
  consumedElsewhere(tenantId: string, units: number): void {
    const bucket = this.buckets.get(tenantId);
    if (!bucket || units <= 0) return;
    bucket.tokens = Math.min(bucket.tokens, Math.max(0, bucket.tokens - units));
  }

  /** Gives back what a failed sync had taken out of `unsynced`, so the next sync reports it. */
  restoreUnsynced(tenantId: string, consumed: number): void {
    const bucket = this.buckets.get(tenantId);
    if (bucket) bucket.unsynced += consumed;
  }

  private refilled(key: string, capacity: number, perMs: number, now: number): Bucket {
    const bucket = this.buckets.get(key) ?? { tokens: capacity, updated: now, unsynced: 0 };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.updated) * perMs);
    bucket.updated = now;
    this.buckets.set(key, bucket);
    return bucket;
  }
}

/** Bucket size (the burst, at most a minute's worth) and refill per millisecond (the rate). */
function shape(rate: CostRate): { capacity: number; perMs: number } {
  const perMinute = Math.max(1, rate.costPerMinute);
  return { capacity: Math.max(1, Math.min(rate.costBurst, perMinute)), perMs: perMinute / 60_000 };
}

function secondsUntil(missing: number, perMs: number): number {
  return Math.max(1, Math.ceil(missing / perMs / 1000));
}
