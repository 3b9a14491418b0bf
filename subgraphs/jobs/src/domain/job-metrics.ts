import { errors } from '@tessera/errors';
import { hyperParameterBounds } from '@tessera/training';
import type { JobMetrics } from '../data/job.entity';

/**
 * The numbers a run reports (latest metrics, the loss after each epoch) are stored as JSON, where
 * NaN and ±Infinity have no spelling: JSON.stringify writes them as null (and the port's wire,
 * also JSON, has already done so before a value reaches this service). A stored null then breaks
 * every read of `Float!`. So writes refuse anything that is not a finite number, and reads
 * tolerate rows older versions wrote with such nulls.
 */

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** `jobs.phase` is VARCHAR(64): a longer phase is refused, not cut by the server (strict mode: an error). */
export const maxPhaseLength = 64;
/** Metrics one report may carry (a run reports two or three: epoch and loss, rows and predictions). */
export const maxReportedMetrics = 32;
/** A metric's name, in characters. */
export const maxMetricNameLength = 64;
/** One loss per epoch: never more entries than a training job may have epochs. */
export const maxLossHistoryLength = hyperParameterBounds.epochs.max;

/**
 * What a worker reports as a run's progress or end, checked before anything is written: a phase of
 * at most 64 characters (a string, or null at the end), a progress that is a finite number. Every
 * value here came from a worker over the port, so it is read as unknown; a bad one is
 * BAD_USER_INPUT naming the field, never a server error from the UPDATE.
 */
export function storablePhase(value: unknown, field = 'phase'): string {
  if (typeof value !== 'string' || value.length > maxPhaseLength) throw errors.badInput(`${field} must be a string of at most ${maxPhaseLength} characters.`, { field });
  return value;
}

export function storableProgress(value: unknown): number {
  // A worker's NaN or Infinity arrives as null (the JSON wire has no spelling for them): no progress.
  if (value === null) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw errors.badInput('progress must be a finite number (0–100).', { field: 'progress' });
  return value;
}

/** Before a metrics map is stored: a plain object of at most 32 named finite numbers, else BAD_USER_INPUT naming the metric. */
export function assertStorableMetrics(metrics: JobMetrics): void {
  const entries = metrics && typeof metrics === 'object' && !Array.isArray(metrics) ? Object.entries(metrics) : undefined;
  if (!entries || entries.length > maxReportedMetrics) throw errors.badInput(`metrics must be an object of at most ${maxReportedMetrics} named numbers.`, { field: 'metrics' });
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > maxMetricNameLength) throw errors.badInput(`A metric's name must have 1 to ${maxMetricNameLength} characters.`, { field: 'metrics' });
    if (!finite(value)) throw errors.badInput(`metrics.${name} must be a finite number (got ${String(value)}).`, { field: `metrics.${name}` });
  }
}

/** Before a loss history is stored: a list of at most one loss per allowed epoch, every entry a finite number, else BAD_USER_INPUT naming the epoch. */
export function assertStorableLossHistory(lossHistory: readonly unknown[]): void {
  if (!Array.isArray(lossHistory) || lossHistory.length > maxLossHistoryLength) throw errors.badInput(`lossHistory must be a list of at most ${maxLossHistoryLength} losses.`, { field: 'lossHistory' });
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
