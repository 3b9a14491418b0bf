import { errors } from '@tessera/errors';

/**
 * A time range of a port call (ISO-8601 `from` and `to`): both valid, `from` not after `to`, and no
 * longer than `maxMs`, so one call never asks the owner for an unbounded scan.
 */
export function parsePortTimeRange(input: { from?: unknown; to?: unknown } | null | undefined, maxMs: number): { from: Date; to: Date } {
  const parse = (value: unknown, field: 'from' | 'to') => {
    const date = typeof value === 'string' ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) throw errors.badInput(`${field} must be an ISO-8601 date-time.`, { field });
    return date;
  };
  const from = parse(input?.from, 'from');
  const to = parse(input?.to, 'to');
  if (from.getTime() > to.getTime()) throw errors.badInput('from must not be after to.', { field: 'from' });
  if (to.getTime() - from.getTime() > maxMs) throw errors.badInput(`The range may cover at most ${Math.round(maxMs / 86_400_000)} days.`, { field: 'from' });
  return { from, to };
}
