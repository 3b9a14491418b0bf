import { TenantTurns } from '@tessera/service-kit';

export interface HeavyReadsConfig {
  /** Chain verifications and access reports of one tenant running at once, per audit process. */
  perTenant: number;
  /** Of all tenants together; undefined: half the database pool (at least 1). */
  inFlight?: number;
  /** How long one waits for a turn before it is refused RATE_LIMITED. */
  queueWaitMs: number;
  /** Of one tenant waiting at once; one more is refused at once. */
  maxQueuedPerTenant: number;
}

export const defaultHeavyReadsConfig: HeavyReadsConfig = { perTenant: 1, queueWaitMs: 2_000, maxQueuedPerTenant: 4 };

/**
 * Turns for the audit service's reads whose work grows with the whole trail: `verifyAuditChain`
 * and `verifySecurityLog` (every row read, opened and hashed, a page at a time on the event loop)
 * and `accessReport` (aggregations over everything up to `to`). A verification of a 60 000-event
 * chain takes seconds, and the fields of one operation resolve in parallel: before these turns, one
 * tenant's four operations of 20 aliased verifications kept the audit process busy for minutes, and
 * every other tenant's `auditEvents`, alerts and relay waited behind them.
 */
export function heavyReadTurns(config: HeavyReadsConfig, poolSize: number): TenantTurns {
  return new TenantTurns({
    perTenant: config.perTenant,
    inFlight: config.inFlight ?? Math.max(1, Math.floor(poolSize / 2)),
    queueWaitMs: config.queueWaitMs,
    maxQueuedPerTenant: config.maxQueuedPerTenant,
    retryAfterSeconds: 5,
    refusal: {
      perTenantLimit: 'auditHeavyReadsPerTenant',
      inFlightLimit: 'auditHeavyReadsInFlight',
      perTenantMessage: (limitValue) =>
        `Your tenant already has ${limitValue} audit chain verification or access report running on this replica; retry once it has answered, or ask for a shorter range.`,
      inFlightMessage: 'The audit service is running as many chain verifications and access reports as it allows at once; retry in a moment.',
    },
  });
}
