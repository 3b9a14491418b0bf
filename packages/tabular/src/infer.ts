export type ColumnType = 'INTEGER' | 'FLOAT' | 'BOOLEAN' | 'DATETIME' | 'STRING';

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
// YYYY-MM-DD, optionally followed by T (or a space, as RFC 3339 allows) and hh:mm[:ss[.fraction]] and a zone.
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(?:[Zz]|[+-](\d{2})(?::?(\d{2}))?)?)?$/;

/**
 * The type of one CSV value, or `null` for the empty string (a missing value).
 * Values are not trimmed: " 12" is a STRING.
 * - INTEGER: optional sign and digits, within the safe-integer range (larger ones are FLOAT).
 * - FLOAT: a finite decimal number, exponent allowed ("1.5", ".5", "-2e10"); NaN/Infinity spellings are STRING.
 * - BOOLEAN: "true" / "false" in any case.
 * - DATETIME: ISO-8601 date or date-time ("2024-02-29", "2024-02-29T13:45:00.123Z", "2024-02-29 13:45+01:00").
 * - STRING: anything else.
 */
export function inferValueType(value: string): ColumnType | null {
  if (value === '') return null;
  if (INTEGER.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return 'INTEGER';
    return Number.isFinite(n) ? 'FLOAT' : 'STRING';
  }
  if (FLOAT.test(value)) return Number.isFinite(Number(value)) ? 'FLOAT' : 'STRING';
  if (value.length === 4 || value.length === 5) {
    const lower = value.toLowerCase();
    if (lower === 'true' || lower === 'false') return 'BOOLEAN';
  }
  if (isIsoDateTime(value)) return 'DATETIME';
  return 'STRING';
}

/** The type of a column holding values of both types: INTEGER+FLOAT is FLOAT, any other mix is STRING. */
export function mergeColumnTypes(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  if ((a === 'INTEGER' && b === 'FLOAT') || (a === 'FLOAT' && b === 'INTEGER')) return 'FLOAT';
  return 'STRING';
}

function isIsoDateTime(value: string): boolean {
  const m = DATETIME.exec(value);
  if (m === null) return false;
  const [, year, month, day, hour, minute, second, offsetHour, offsetMinute] = m;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return false;
  if (hour !== undefined && Number(hour) > 23) return false;
  if (minute !== undefined && Number(minute) > 59) return false;
  if (second !== undefined && Number(second) > 59) return false;
  if (offsetHour !== undefined && Number(offsetHour) > 23) return false;
  if (offsetMinute !== undefined && Number(offsetMinute) > 59) return false;
  return true;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
