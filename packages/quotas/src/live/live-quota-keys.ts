/** Per-minute quotas count calendar minutes (UTC epoch minutes), the unit of their limits. */
export const minuteMs = 60_000;

/** The epoch minute holding `nowMs`: every per-minute counter is keyed by it. */
export function minuteOf(nowMs: number): number {
  return Math.floor(nowMs / minuteMs);
}

/**
 * The Redis keys of the counters that enforce the live quotas, in one place: each writer (the
 * gateway's rate-limit sync and subscription slots, the models service's prediction quotas) and
 * LiveQuotaReader build them here, so what is counted and what tenantUsage reads cannot drift apart.
 * The running-job leases are keyed by JobQueueKeys (@tessera/job-queue), beside their writer.
 */
export class LiveQuotaKeys {
  constructor(readonly prefix: string) {}

  /** `predictionsPerMinute`: an integer counter per tenant and minute (INCR per admitted prediction). */
  predictionsPerMinute(tenantId: string, minute: number): string {
    return `${this.prefix}:predictions-per-minute:${tenantId}:${minute}`;
  }

  /** `maxPredictionsInFlight`: a hash per tenant, one field per models replica (see predictions-in-flight-reports.ts). */
  predictionsInFlight(tenantId: string): string {
    return `${this.prefix}:predictions-in-flight:${tenantId}`;
  }

  /** `maxOpenSubscriptions`: a sorted set per tenant, one member per open subscription scored by its lease expiry. */
  openSubscriptions(tenantId: string): string {
    return `${this.prefix}:subscriptions:tenant:${tenantId}`;
  }

  /** `costPerMinute`: an integer counter per tenant and minute of the cost units the gateways admitted (INCRBY per sync). */
  costPerMinute(tenantId: string, minute: number): string {
    return `${this.prefix}:ratelimit:tenant:${tenantId}:${minute}`;
  }
}
