import { errors } from '@tessera/errors';

export type Granularity = 'MINUTE' | 'HOUR';

export const granularityMs: Record<Granularity, number> = { MINUTE: 60_000, HOUR: 3_600_000 };

/** Longest range per granularity: about 1 500 points at most in one answer. */
export const maxRangeMs: Record<Granularity, number> = { MINUTE: 24 * 3_600_000, HOUR: 62 * 24 * 3_600_000 };

const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A DateTime argument: ISO-8601 with a time zone, or BAD_USER_INPUT naming the field. */
export function parseDateTime(value: unknown, field: string): Date {
  const date = typeof value === 'string' && isoDateTime.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1970 || date.getUTCFullYear() > 9999) {
    throw errors.badInput(`${field} must be an ISO-8601 date-time with a time zone, e.g. 2026-01-31T12:00:00Z.`, { field });
  }
  return date;
}

/** `from` ≤ `to`, both valid, and the range no longer than `maxMs`. */
export function parseRange(args: { from: unknown; to: unknown }, maxMs: number, maxLabel: string): { from: Date; to: Date } {
  const from = parseDateTime(args.from, 'from');
  const to = parseDateTime(args.to, 'to');
  if (from.getTime() > to.getTime()) throw errors.badInput('from must not be after to.', { field: 'from' });
  if (to.getTime() - from.getTime() > maxMs) throw errors.badInput(`The range may cover at most ${maxLabel}.`, { field: 'from' });
  return { from, to };
}

export function parseGranularity(value: unknown): Granularity {
  if (value === undefined || value === null) return 'MINUTE';
  if (value !== 'MINUTE' && value !== 'HOUR') throw errors.badInput('granularity must be MINUTE or HOUR.', { field: 'granularity' });
  return value;
}
