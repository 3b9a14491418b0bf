import { errors } from '@tessera/errors';
import { isCalendarDay } from '@tessera/service-kit';

/** What a client may filter the audit trail by; every value is bound as a parameter, never spliced. */
export interface AuditEventFilterInput {
  actor?: string | null;
  action?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  outcome?: 'SUCCESS' | 'DENIED' | 'FAILED' | null;
  from?: string | null;
  to?: string | null;
}

export interface AuditEventFilter {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  outcome?: 'SUCCESS' | 'DENIED' | 'FAILED';
  from?: Date;
  to?: Date;
}

// MySQL DATETIME holds years 1000–9999: a wider range is clamped, not refused ("huge ranges are fine").
const earliest = new Date('1000-01-01T00:00:00.000Z');
const latest = new Date('9999-12-31T23:59:59.999Z');
const controlCharacters = /[\u0000-\u001f\u007f]/;
// Actions and target types are identifiers we mint (`dataset.read`, `DatasetVersion`).
const identifier = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

function freeText(value: string | null | undefined, field: string, maxLength: number): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || controlCharacters.test(value)) {
    throw errors.badInput(`${field} must be 1–${maxLength} printable characters.`, { field });
  }
  return value;
}

function name(value: string | null | undefined, field: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string' || !identifier.test(value)) {
    throw errors.badInput(`${field} must be an identifier like dataset.read or DatasetVersion (letters, digits, '.', '_', ':', '-').`, { field });
  }
  return value;
}

export function parseTime(value: string | null | undefined, field: string): Date | undefined {
  if (value === null || value === undefined) return undefined;
  // An ISO-8601 date or date-time; Date.parse alone would accept "1" or "March 7".
  if (typeof value !== 'string' || !/^\d{4,6}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    throw errors.badInput(`${field} must be an ISO-8601 date-time, e.g. 2026-01-31T12:00:00Z.`, { field });
  }
  // JavaScript reads 5–6 digit years only in the expanded form (+YYYYYY).
  const text = value.trim().replace(/^(\d{5,6})-/, (_m, year: string) => `+${year.padStart(6, '0')}-`);
  const time = new Date(text);
  const [year, month, day] = value.trim().split(/[T ]/)[0]!.split('-').map(Number) as [number, number, number];
  // new Date rolls 2026-02-30 into March: a day the calendar does not have is refused.
  if (Number.isNaN(time.getTime()) || !isCalendarDay(year, month, day)) throw errors.badInput(`${field} is not a valid date-time.`, { field });
  return new Date(Math.min(Math.max(time.getTime(), earliest.getTime()), latest.getTime()));
}

/** A [from, to] period; `from` after `to` is a client mistake, not an empty answer. */
export function parsePeriod(fromValue: string | null | undefined, toValue: string | null | undefined): { from?: Date; to?: Date } {
  const from = parseTime(fromValue, 'from');
  const to = parseTime(toValue, 'to');
  if (from && to && from.getTime() > to.getTime()) throw errors.badInput('from must not be after to.', { field: 'from' });
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

export function parseAuditEventFilter(input: AuditEventFilterInput | null | undefined): AuditEventFilter {
  const filter: AuditEventFilter = { ...parsePeriod(input?.from, input?.to) };
  const actor = freeText(input?.actor, 'filter.actor', 255);
  const action = name(input?.action, 'filter.action');
  const targetType = name(input?.targetType, 'filter.targetType');
  const targetId = freeText(input?.targetId, 'filter.targetId', 255);
  if (actor !== undefined) filter.actor = actor;
  if (action !== undefined) filter.action = action;
  if (targetType !== undefined) filter.targetType = targetType;
  if (targetId !== undefined) filter.targetId = targetId;
  if (input?.outcome) filter.outcome = input.outcome;
  return filter;
}
