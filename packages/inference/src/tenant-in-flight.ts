import { inferenceErrors } from './inference-errors';

/** How many predictions of a tenant other replicas hold (as last heard; 0 when unknown). */
export type InFlightElsewhere = (tenantId: string) => number;

/**
 * Predictions of each tenant that were accepted and not yet answered (queued + running), in this
 * process — plus, when a source is set, those other replicas reported. A tenant over its
 * `maxInFlight` is refused before anything is queued for it; other tenants' counts are separate,
 * so one tenant's burst never refuses another's calls.
 */
export class TenantInFlight {
  private readonly counts = new Map<string, number>();
  elsewhere: InFlightElsewhere = () => 0;

  /** This process's count only. */
  count(tenantId: string): number {
    return this.counts.get(tenantId) ?? 0;
  }

  /** Every tenant with calls in flight here, and how many. */
  all(): Map<string, number> {
    return new Map(this.counts);
  }

  /** Throws QUOTA_EXCEEDED (`maxPredictionsInFlight`) when one more call would go over `limit`. */
  assertRoom(tenantId: string, limit: number | undefined): void {
    if (limit === undefined) return;
    const used = this.count(tenantId) + this.elsewhere(tenantId);
    if (used >= limit) throw inferenceErrors.inFlightFull(limit, used);
  }

  /** Counts one call in (after `assertRoom`, in the same tick); returns its release, safe to call twice. */
  acquire(tenantId: string, limit: number | undefined): () => void {
    this.assertRoom(tenantId, limit);
    this.counts.set(tenantId, this.count(tenantId) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(tenantId) - 1;
      if (left > 0) this.counts.set(tenantId, left);
      else this.counts.delete(tenantId);
    };
  }
}
