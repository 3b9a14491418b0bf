import { errors } from '@tessera/errors';

/** How long one access review period is: a calendar month (UTC), or a fixed number of days. */
export type ReviewInterval = { kind: 'monthly' } | { kind: 'days'; days: number };

export const monthly: ReviewInterval = { kind: 'monthly' };
/** A days interval longer than a year is not a periodic review any more. */
export const maxIntervalDays = 366;

/**
 * One review period. Its label names it in the bucket key and the `period` column: `2026-05` for
 * a calendar month, `2026-05-01_P7D` for seven days from that date. Day periods are aligned on
 * the Unix epoch (period k starts k × n days after 1970-01-01), so every replica and every run
 * cuts time the same way and a label always means the same span.
 */
export interface ReviewPeriod {
  label: string;
  /** First instant of the period. */
  from: Date;
  /** Its last millisecond: inclusive, like `accessReport`'s `to`. */
  to: Date;
  /** First instant after the period. */
  end: Date;
}

const dayMs = 86_400_000;
const monthLabel = /^(\d{4})-(\d{2})$/;
const daysLabel = /^(\d{4})-(\d{2})-(\d{2})_P(\d{1,3})D$/;
const minYear = 2000;

/** `monthly`, `<n>d` or `<n>` (days, 1–366); `off` turns scheduled reviews off. Undefined: not an interval. */
export function parseReviewInterval(value: string): ReviewInterval | 'off' | undefined {
  const text = value.trim().toLowerCase();
  if (text === 'off') return 'off';
  if (text === 'monthly') return monthly;
  const match = /^(\d{1,3})d?$/.exec(text);
  const days = match ? Number(match[1]) : NaN;
  return Number.isInteger(days) && days >= 1 && days <= maxIntervalDays ? { kind: 'days', days } : undefined;
}

function monthPeriod(year: number, monthIndex: number): ReviewPeriod {
  const from = new Date(Date.UTC(year, monthIndex, 1));
  const end = new Date(Date.UTC(year, monthIndex + 1, 1));
  return { label: from.toISOString().slice(0, 7), from, to: new Date(end.getTime() - 1), end };
}

function daysPeriod(index: number, days: number): ReviewPeriod {
  const from = new Date(index * days * dayMs);
  const end = new Date((index + 1) * days * dayMs);
  return { label: `${from.toISOString().slice(0, 10)}_P${days}D`, from, to: new Date(end.getTime() - 1), end };
}

/** The period `instant` falls in. */
export function periodContaining(instant: Date, interval: ReviewInterval): ReviewPeriod {
  if (interval.kind === 'monthly') return monthPeriod(instant.getUTCFullYear(), instant.getUTCMonth());
  return daysPeriod(Math.floor(instant.getTime() / (interval.days * dayMs)), interval.days);
}

/** The period just before `period` (same interval). */
export function previousPeriod(period: ReviewPeriod, interval: ReviewInterval): ReviewPeriod {
  return periodContaining(new Date(period.from.getTime() - 1), interval);
}

/** The latest period that has ended at `now`. */
export function lastEndedPeriod(now: Date, interval: ReviewInterval): ReviewPeriod {
  return previousPeriod(periodContaining(now, interval), interval);
}

/**
 * The periods from the one containing `since` up to `last`, oldest first, at most `limit` of
 * them (the most recent ones).
 */
export function periodsSince(since: Date, last: ReviewPeriod, interval: ReviewInterval, limit: number): ReviewPeriod[] {
  const out: ReviewPeriod[] = [];
  for (let period = last; out.length < limit && period.end.getTime() > since.getTime(); period = previousPeriod(period, interval)) out.unshift(period);
  return out;
}

/** The interval a label belongs to. */
export function intervalOf(period: ReviewPeriod): ReviewInterval {
  const match = /_P(\d+)D$/.exec(period.label);
  return match ? { kind: 'days', days: Number(match[1]) } : monthly;
}

/**
 * A period named by a caller: `YYYY-MM`, or `YYYY-MM-DD_P<n>D` starting on a day the n-day grid
 * starts a period. It must have ended by `now`: a review of a period still running would be a
 * different document tomorrow. Anything else is BAD_USER_INPUT naming the field.
 */
export function parsePeriodLabel(label: string, now: Date): ReviewPeriod {
  const bad = (why: string) => errors.badInput(`period ${why}`, { field: 'period' });
  if (typeof label !== 'string' || label.length > 32) throw bad('must be YYYY-MM or YYYY-MM-DD_P<n>D.');
  let period: ReviewPeriod;
  const month = monthLabel.exec(label);
  const days = daysLabel.exec(label);
  if (month) {
    const year = Number(month[1]);
    const monthIndex = Number(month[2]) - 1;
    if (year < minYear || monthIndex < 0 || monthIndex > 11) throw bad(`must be a month from ${minYear} on, as YYYY-MM.`);
    period = monthPeriod(year, monthIndex);
  } else if (days) {
    const length = Number(days[4]);
    if (length < 1 || length > maxIntervalDays) throw bad(`length must be 1 to ${maxIntervalDays} days.`);
    const start = Date.UTC(Number(days[1]), Number(days[2]) - 1, Number(days[3]));
    if (new Date(start).toISOString().slice(0, 10) !== label.slice(0, 10)) throw bad('starts on a date that does not exist.');
    if (Number(days[1]) < minYear) throw bad(`must start in ${minYear} or later.`);
    const index = start / (length * dayMs);
    if (!Number.isInteger(index)) {
      const aligned = daysPeriod(Math.floor(index), length);
      throw bad(`${length}-day periods start every ${length} days from 1970-01-01; the one holding that date is ${aligned.label}.`);
    }
    period = daysPeriod(index, length);
  } else {
    throw bad('must be YYYY-MM or YYYY-MM-DD_P<n>D.');
  }
  if (period.end.getTime() > now.getTime()) throw bad(`${period.label} has not ended yet; a review covers a finished period.`);
  return period;
}
