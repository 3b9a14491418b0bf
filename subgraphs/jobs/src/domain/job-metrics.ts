import { errors } from '@tessera/errors';
import type { JobMetrics } from '../data/job.entity';

/**
 * The numbers a run reports (latest metrics, the loss after each epoch) are stored as JSON, where
 * NaN and ±Infinity have no spelling: JSON.stringify writes them as null (and the port's wire,
 * also JSON, has already done so before a value reaches this service). A stored null then breaks
 * every read of `Float!`. So writes refuse anything that is not a finite number, and reads
 * tolerate rows older versions wrote with such nulls.
 */

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** Before a metrics map is stored: every value a finite number, else BAD_USER_INPUT naming the metric. */
export function assertStorableMetrics(metrics: JobMetrics): void {
  for (const [name, value] of Object.entries(metrics)) {
    if (!finite(value)) throw errors.badInput(`metrics.${name} must be a finite number (got ${String(value)}).`, { field: `metrics.${name}` });
  }
}

/** Before a loss history is stored: every entry a finite number, else BAD_USER_INPUT naming the epoch. */
export function assertStorableLossHistory(lossHistory: readonly unknown[]): void {
  const bad = lossHistory.findIndex((value) => !finite(value));
  if (bad >= 0) throw errors.badInput(`lossHistory[${bad}] (epoch ${bad + 1}) must be a finite number (got ${String(lossHistory[bad])}).`, { field: 'lossHistory' });
}

/**
 * A stored metrics map as it can be read: entries whose value is not a finite number (a null an
 * older version wrote for NaN/Infinity) are left out. The other metrics are still true, and one
 * lost value must not fail the job, its events, or a whole `jobs` page (`JobMetric.value: Float!`).
 */
export function readableMetrics(metrics: Record<string, unknown> | null): JobMetrics | null {
  if (!metrics) return null;
  return Object.fromEntries(Object.entries(metrics).filter((entry): entry is [string, number] => finite(entry[1])));
}

/**
 * A stored loss history as it can be read: cut at the first entry that is not a finite number.
 * Entry i is the loss after epoch i + 1, so dropping only the bad entries would shift the later
 * ones onto the wrong epochs; and a diverged run's non-finite losses are its tail anyway (once
 * NaN, every later loss is NaN). What is left is the part of the run that had a loss.
 */
export function readableLossHistory(lossHistory: readonly unknown[] | null): number[] {
  if (!Array.isArray(lossHistory)) return [];
  const bad = lossHistory.findIndex((value) => !finite(value));
  return (bad < 0 ? lossHistory : lossHistory.slice(0, bad)) as number[];
}
