import { z } from 'zod';

/** How long an erasure request can still be cancelled when ERASURE_GRACE_HOURS is not set. */
export const defaultErasureGraceHours = 72;

/**
 * The tenants service's erasure variables, parsed once at start-up with the rest of its
 * environment (platform/src/environment.ts): a bad value stops the service with a message naming
 * the variable, rather than scheduling erasures at a time nobody meant.
 */
export const erasureVariables = z.object({
  // Whole hours between a request and the erasure, during which it can be cancelled (0–8760: a year at most).
  ERASURE_GRACE_HOURS: z.coerce
    .number({ message: 'must be a whole number of hours' })
    .int('must be a whole number of hours')
    .min(0, 'must be 0 or more hours')
    .max(8760, 'must be at most 8760 hours (a year)')
    .default(defaultErasureGraceHours),
});

export interface ErasureConfig {
  graceHours: number;
}

export function toErasureConfig(env: z.infer<typeof erasureVariables>): ErasureConfig {
  return { graceHours: env.ERASURE_GRACE_HOURS };
}
