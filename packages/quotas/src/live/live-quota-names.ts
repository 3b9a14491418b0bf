import type { TenantLimitName } from '@tessera/tenancy';

/**
 * The live quotas: limits on what a tenant is doing now rather than what it keeps. Each is named by
 * its tenant limit (as their QUOTA_EXCEEDED errors already name them), and its usage is read from
 * the counter that enforces it (LiveQuotaReader).
 */
export const liveQuotaNames = ['maxQueuedJobs', 'maxConcurrentJobs', 'predictionsPerMinute', 'maxPredictionsInFlight', 'maxOpenSubscriptions', 'costPerMinute'] as const satisfies readonly TenantLimitName[];

export type LiveQuotaName = (typeof liveQuotaNames)[number];

/** Rates are counted per calendar minute; the others are counts of what is held right now (null). */
export const liveQuotaWindowSeconds: Readonly<Record<LiveQuotaName, number | null>> = {
  maxQueuedJobs: null,
  maxConcurrentJobs: null,
  predictionsPerMinute: 60,
  maxPredictionsInFlight: null,
  maxOpenSubscriptions: null,
  costPerMinute: 60,
};

export interface LiveQuotaUsage {
  name: LiveQuotaName;
  /** The tenant's effective limit (its override, else the platform default). */
  limit: number;
  used: number;
  /** Live quotas hold nothing back for writes in progress: always 0, kept for one shape with the stored quotas. */
  reserved: 0;
  /** 60 for a per-minute rate (used = the current UTC minute so far), null for a count of what is held now. */
  windowSeconds: number | null;
}
