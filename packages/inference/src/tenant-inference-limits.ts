import { z } from 'zod';
import { errors } from '@tessera/errors';
import type { TenantInferenceLimits } from './inference-types';

const count = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const tenantInferenceLimitsSchema = z
  .object({
    maxInFlight: count,
    maxQueued: count,
    processes: count,
    intraOpNumThreads: count,
    processMemoryMb: count,
  })
  .strict();

/**
 * A tenant's inference limits as handed to `predict` (normally from its tenant record): checked like
 * any input at the pools' boundary, so a bad value is BAD_USER_INPUT naming it, never a broken pool.
 */
export function parseTenantInferenceLimits(value: unknown): TenantInferenceLimits {
  const parsed = tenantInferenceLimitsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['limits', ...(issue?.path ?? []).map(String)].join('.');
    throw errors.badInput(`${field} must be a positive integer (limits: maxInFlight, maxQueued, processes, intraOpNumThreads, processMemoryMb).`, { field });
  }
  return parsed.data;
}
