import { errors } from '@tessera/errors';
import { parseDateTimeInput } from '@tessera/service-kit';

export type Granularity = 'MINUTE' | 'HOUR';

export const granularityMs: Record<Granularity, number> = { MINUTE: 60_000, HOUR: 3_600_000 };

/** Longest range per granularity: about 1 500 points at most in one answer. */
export const maxRangeMs: Record<Granularity, number> = { MINUTE: 24 * 3_600_000, HOUR: 62 * 24 * 3_600_000 };

/** A DateTime argument: ISO-8601 with a time zone, on a day that exists, or BAD_USER_INPUT naming the field. */
export function parseDateTime(value: unknown, field: string): Date {
  return parseDateTimeInput(value, field);
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
