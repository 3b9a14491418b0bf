import { z } from 'zod';
import { monthly, parseReviewInterval, type ReviewInterval } from './review-period';

export interface AccessReviewConfig {
  /** Length of a review period (ACCESS_REVIEW_INTERVAL); also the default period of `runAccessReview`. */
  interval: ReviewInterval;
  /** False with ACCESS_REVIEW_INTERVAL=off: no scheduled reviews; `runAccessReview` still works. */
  scheduled: boolean;
  /** Default days without use after which privileged access is stale (STALE_ACCESS_DAYS); a tenant overrides it with its STALE_ACCESS rule. */
  staleAccessDays: number;
  /** Delay from start to the first look (so a restart catches up soon, without a storm at boot). */
  firstCheckDelayMs: number;
  /** How often the scheduler looks for tenants whose last ended period has no review yet. */
  checkIntervalMs: number;
  /** How many periods back a tenant's missing reviews are caught up (never before the tenant existed). */
  maxCatchUpPeriods: number;
}

export const maxStaleAccessDays = 3650;

export const defaultAccessReviewConfig: AccessReviewConfig = {
  interval: monthly,
  scheduled: true,
  staleAccessDays: 90,
  firstCheckDelayMs: 60_000,
  checkIntervalMs: 15 * 60_000,
  maxCatchUpPeriods: 12,
};

/** Environment variables of the scheduled access review (README table), part of the audit service's alerting group. */
export const accessReviewVariables = z.object({
  // monthly (default), <n>d / <n> for n-day periods (1–366), or off.
  ACCESS_REVIEW_INTERVAL: z
    .string()
    .default('monthly')
    .transform((value, ctx) => {
      const parsed = parseReviewInterval(value);
      if (parsed !== undefined) return parsed;
      ctx.addIssue({ code: 'custom', message: 'must be monthly, a number of days (e.g. 30 or 30d, 1–366), or off' });
      return z.NEVER;
    }),
  STALE_ACCESS_DAYS: z.coerce.number().int().min(1).max(maxStaleAccessDays).default(90),
});

export function toAccessReviewConfig(parsed: z.infer<typeof accessReviewVariables>): AccessReviewConfig {
  const interval = parsed.ACCESS_REVIEW_INTERVAL;
  return {
    ...defaultAccessReviewConfig,
    interval: interval === 'off' ? monthly : interval,
    scheduled: interval !== 'off',
    staleAccessDays: parsed.STALE_ACCESS_DAYS,
  };
}
