import { z } from 'zod';
import { milliseconds } from '@tessera/config';

/** How a process meters usage and checks budgets (parsed once, at start). */
export const meteringConfigSchema = z.object({
  /** How often accumulated amounts are written to the tenants' schemas (0: only on demand and at shutdown). */
  flushIntervalMs: z.coerce.number().int().min(0).default(5_000),
  /** Failed writes are retried at the next flushes, this many times, then dropped (and logged). */
  maxFlushAttempts: z.coerce.number().int().min(1).max(100).default(6),
  /**
   * How long a tenant's month-to-date usage and budgets are reused before they are read again: the
   * price of no database call per request is a refusal that can start this much later.
   */
  budgetCacheMs: z.coerce.number().int().min(0).default(5_000),
  /** How often stored bytes are sampled into `storedByteHours` (0: off). */
  storageSampleIntervalMs: z.coerce.number().int().min(0).default(60_000),
});
export type MeteringConfig = z.infer<typeof meteringConfigSchema>;
export type MeteringOptions = Partial<MeteringConfig>;

export function meteringConfig(options: MeteringOptions = {}): MeteringConfig {
  return meteringConfigSchema.parse(options);
}

/** Environment variables (README table), shared by every process that meters. */
export const meteringVariables = z.object({
  METERING_FLUSH_INTERVAL_MS: milliseconds(5_000),
  METERING_BUDGET_CACHE_MS: milliseconds(5_000),
  METERING_STORAGE_SAMPLE_INTERVAL_MS: milliseconds(60_000),
});

export function toMeteringOptions(parsed: z.infer<typeof meteringVariables>): MeteringOptions {
  return { flushIntervalMs: parsed.METERING_FLUSH_INTERVAL_MS, budgetCacheMs: parsed.METERING_BUDGET_CACHE_MS, storageSampleIntervalMs: parsed.METERING_STORAGE_SAMPLE_INTERVAL_MS };
}
