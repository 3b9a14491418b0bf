import { CsvStreamValidator } from './csv-stream';
import { resolveCsvLimits, type CsvLimits } from './limits';

export interface ParseCsvRowsOptions {
  limits?: Partial<CsvLimits>;
  /** Called once with the validated header (trimmed names, in file order) before the first row. */
  onHeader?(columns: readonly string[]): void;
}

/**
 * Streams the data rows of a CSV as objects keyed by the (trimmed) header names, applying exactly the
 * same validation and limits as CsvProfiler; a bad file throws a TesseraError from the iteration.
 * The source is read one chunk at a time, only when the consumer asks for more rows; breaking out
 * of the loop destroys the source.
 *
 *   for await (const row of parseCsvRows(objectStream)) train(row['age'], row['label']);
 */
export async function* parseCsvRows(
  source: NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>,
  options: ParseCsvRowsOptions = {},
): AsyncGenerator<Record<string, string>, void, undefined> {
  let columns: readonly string[] = [];
  let pending: Array<Record<string, string>> = [];
  const validator = new CsvStreamValidator(resolveCsvLimits(options.limits), {
    onHeader: (names) => {
      columns = names;
      options.onHeader?.(names);
    },
    onRow: (fields) => {
      // Null prototype: a column named "__proto__" or "constructor" is just a key.
      const row = Object.create(null) as Record<string, string>;
      for (let i = 0; i < columns.length; i++) row[columns[i]!] = fields[i]!;
      pending.push(row);
    },
  });
  const step = (run: (done: (error?: Error) => void) => void) =>
    new Promise<void>((resolve, reject) => run((error) => (error ? reject(error) : resolve())));
  try {
    for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      await step((done) => validator.write(bytes, done));
      const rows = pending;
      pending = [];
      yield* rows;
    }
    await step((done) => validator.end(done));
    const rows = pending;
    pending = [];
    yield* rows;
  } finally {
    validator.destroy();
  }
}
