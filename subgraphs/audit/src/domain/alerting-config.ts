import { z } from 'zod';
import { accessReviewVariables, defaultAccessReviewConfig, toAccessReviewConfig, type AccessReviewConfig } from './access-review-config';
import { defaultHeavyReadsConfig, type HeavyReadsConfig } from './heavy-read-turns';
import { parseCidrRange } from './webhook-address-policy';

export interface AlertingConfig {
  /**
   * How often the tenants with work are evaluated and their due webhooks sent: those whose chain
   * this process grew, and those whose deliveries this process knows to be due.
   */
  evaluationIntervalMs: number;
  /**
   * How often every active tenant is asked whether it has work (events chained by another process
   * or replica, deliveries written elsewhere): the longest such work waits for a pass.
   */
  fullSweepIntervalMs: number;
  /** Delay before the 2nd attempt; each later one doubles it (1 s, 2 s, 4 s, …). */
  webhookBackoffBaseMs: number;
  /** Attempts before a delivery is given up (FAILED). */
  webhookMaxAttempts: number;
  webhookTimeoutMs: number;
  /**
   * CIDR ranges webhooks may reach although the address policy refuses them (loopback, private,
   * link-local, metadata): the operator's own receivers. Empty by default.
   */
  webhookAllowedPrivateRanges: readonly string[];
  /** The scheduled access review and its stale-access alerts (ACCESS_REVIEW_INTERVAL, STALE_ACCESS_DAYS). */
  accessReview: AccessReviewConfig;
  /** Turns for chain verifications and access reports (per tenant and in all, per process). */
  heavyReads: HeavyReadsConfig;
}

export const defaultAlertingConfig: AlertingConfig = {
  evaluationIntervalMs: 5_000,
  fullSweepIntervalMs: 60_000,
  webhookBackoffBaseMs: 1_000,
  webhookMaxAttempts: 8,
  webhookTimeoutMs: 10_000,
  webhookAllowedPrivateRanges: [],
  accessReview: defaultAccessReviewConfig,
  heavyReads: defaultHeavyReadsConfig,
};

/** Environment variables of the audit service's alerting (README table). */
export const alertingVariables = z.object({
  // Comma-separated CIDR ranges (a bare address is one host) alert webhooks may reach despite the address policy.
  WEBHOOK_ALLOWED_PRIVATE_RANGES: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const ranges = value.split(',').map((item) => item.trim()).filter(Boolean);
      const bad = ranges.filter((range) => parseCidrRange(range) === undefined);
      if (bad.length === 0) return ranges;
      ctx.addIssue({ code: 'custom', message: `must be comma-separated CIDR ranges such as 10.20.0.0/16 or fd00:1::/64; not ranges: ${bad.join(', ')}` });
      return z.NEVER;
    }),
}).extend(accessReviewVariables.shape);

export function toAlertingConfig(parsed: z.infer<typeof alertingVariables>): AlertingConfig {
  return { ...defaultAlertingConfig, webhookAllowedPrivateRanges: parsed.WEBHOOK_ALLOWED_PRIVATE_RANGES, accessReview: toAccessReviewConfig(parsed) };
}
