/** Limits applied while a CSV upload streams through the server. All sizes are in bytes. */
export interface CsvLimits {
  /** Total size of the file, BOM included. Over it: PAYLOAD_TOO_LARGE. */
  maxBytes: number;
  /** Columns in the header. Over it: BAD_USER_INPUT, detected while the header is still being read. */
  maxColumns: number;
  /** UTF-8 size of one value (after unquoting). Over it: PAYLOAD_TOO_LARGE. */
  maxFieldBytes: number;
  /** Data rows (the header is not counted). Over it: PAYLOAD_TOO_LARGE. */
  maxRows: number;
}

export const defaultCsvLimits: Readonly<CsvLimits> = Object.freeze({
  maxBytes: 100 * 1024 * 1024,
  maxColumns: 1000,
  maxFieldBytes: 1024 * 1024,
  maxRows: 10_000_000,
});

/** Longest column name accepted (in characters, after trimming). */
export const MAX_COLUMN_NAME_LENGTH = 128;

/**
 * What makes two column names the same in one header: case and Unicode composition aside (names are
 * trimmed as they are read). The header check refuses duplicates by it; anything adding a column to
 * a dataset's (a batch inference's prediction columns) must compare by it too.
 */
export function columnNameKey(name: string): string {
  return name.trim().normalize('NFC').toLowerCase();
}

/** Defaults overlaid with `overrides`; a limit that is not a positive safe integer is a programming error. */
export function resolveCsvLimits(overrides: Partial<CsvLimits> = {}): CsvLimits {
  const limits: CsvLimits = { ...defaultCsvLimits };
  for (const key of Object.keys(defaultCsvLimits) as Array<keyof CsvLimits>) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`CsvLimits.${key} must be a positive integer, got ${String(value)}`);
    }
    limits[key] = value;
  }
  return limits;
}

/** "104857600 bytes (100 MiB)" — the exact number plus a human-readable size. */
export function describeBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = '';
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  if (unit === '') return `${bytes} bytes`;
  const rounded = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return `${bytes} bytes (${rounded} ${unit})`;
}
