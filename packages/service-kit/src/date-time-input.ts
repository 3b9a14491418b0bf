import { errors } from '@tessera/errors';

const isoDateTime = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A DateTime argument: ISO-8601 with a time zone, on a day the calendar has, between 1970 and 9999
 * (UTC); otherwise BAD_USER_INPUT naming the field. `new Date` alone rolls 2026-02-30 into March,
 * and reads "1" or "March 7" as dates.
 */
export function parseDateTimeInput(value: unknown, field: string): Date {
  const match = typeof value === 'string' ? isoDateTime.exec(value) : null;
  const date = match ? new Date(value as string) : undefined;
  if (!match || !date || Number.isNaN(date.getTime()) || !isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]))) {
    throw errors.badInput(`${field} must be an ISO-8601 date-time with a time zone on a day that exists, e.g. 2026-01-31T12:00:00Z.`, { field });
  }
  if (date.getUTCFullYear() < 1970 || date.getUTCFullYear() > 9999) throw errors.badInput(`${field} must be between 1970 and 9999 (UTC).`, { field });
  return date;
}

/** Whether year-month-day names a day of the (proleptic Gregorian) calendar: no 30 February, no month 13. */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
