import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errors } from '@tessera/errors';
import { CsvStreamValidator } from './csv-stream';
import { inferValueType, mergeColumnTypes, type ColumnType } from './infer';
import { resolveCsvLimits, type CsvLimits } from './limits';

export interface ColumnProfile {
  /** Trimmed header name, as written (case kept). */
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** Rows where the value is the empty string. */
  nullCount: number;
}

export interface CsvProfile {
  columns: ColumnProfile[];
  /** Data rows, header excluded. */
  rowCount: number;
  /** Bytes received, BOM included. */
  byteSize: number;
}

export interface CsvProfilerOptions {
  /** Bytes buffered in front of the profiler before `write()` returns false. Default 64 KiB. */
  highWaterMark?: number;
}

interface ColumnStats {
  type: ColumnType | undefined; // undefined until the first non-null value
  nullCount: number;
}

/**
 * A Writable that validates a CSV upload and infers its schema in one streaming pass, in bounded
 * memory. Pipe the upload into it (alone, or as one branch of a tee next to the encrypting storage
 * writer); a chunk is acknowledged only once it has been parsed, so a slow profiler slows the source.
 * A bad file makes the stream fail with a TesseraError (BAD_USER_INPUT or PAYLOAD_TOO_LARGE) as soon
 * as the problem is seen; `result()` rejects with the same error.
 *
 *   const profiler = new CsvProfiler({ maxBytes: tenantLimit });
 *   await pipeline(upload, profiler);
 *   const profile = await profiler.result();
 */
export class CsvProfiler extends Writable {
  readonly limits: CsvLimits;
  private readonly validator: CsvStreamValidator;
  private stats: ColumnStats[] = [];
  private readonly outcome: Promise<CsvProfile>;
  private settle!: { resolve(profile: CsvProfile): void; reject(error: Error): void };
  private done = false;

  constructor(limits: Partial<CsvLimits> = {}, options: CsvProfilerOptions = {}) {
    super({ highWaterMark: options.highWaterMark ?? 64 * 1024, decodeStrings: true });
    this.limits = resolveCsvLimits(limits);
    this.outcome = new Promise<CsvProfile>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.outcome.catch(() => {}); // a caller that only listens to 'error' must not get an unhandled rejection
    this.validator = new CsvStreamValidator(this.limits, {
      onHeader: (columns) => {
        this.stats = columns.map(() => ({ type: undefined, nullCount: 0 }));
      },
      onRow: (fields) => this.observe(fields),
    });
  }

  /** Bytes accepted so far. */
  get byteCount(): number {
    return this.validator.byteCount;
  }

  /** The profile once the stream has finished; rejects with the error that stopped it. */
  result(): Promise<CsvProfile> {
    return this.outcome;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.validator.write(chunk, (error) => callback(error ?? null));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.validator.end((error) => {
      if (error) return callback(error);
      this.done = true;
      this.settle.resolve(this.buildProfile());
      callback();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.validator.destroy();
    if (error) this.settle.reject(error);
    else if (!this.done) this.settle.reject(errors.badInput('The upload stopped before the whole CSV file was received.'));
    callback(error);
  }

  private observe(fields: readonly string[]): void {
    const stats = this.stats;
    for (let i = 0; i < fields.length; i++) {
      const value = fields[i]!;
      const column = stats[i]!;
      if (value === '') {
        column.nullCount++;
        continue;
      }
      if (column.type === 'STRING') continue; // nothing can widen it further
      const type = inferValueType(value) ?? 'STRING';
      column.type = column.type === undefined ? type : mergeColumnTypes(column.type, type);
    }
  }

  private buildProfile(): CsvProfile {
    const names = this.validator.columns ?? [];
    return {
      columns: names.map((name, i) => {
        const { type, nullCount } = this.stats[i] ?? { type: undefined, nullCount: 0 };
        return { name, type: type ?? 'STRING', nullable: nullCount > 0, nullCount };
      }),
      rowCount: this.validator.rowCount,
      byteSize: this.validator.byteCount,
    };
  }
}

/** Functional form of CsvProfiler, for callers that prefer not to subclass-check. */
export function createCsvProfiler(limits: Partial<CsvLimits> = {}): { stream: CsvProfiler; result(): Promise<CsvProfile> } {
  const stream = new CsvProfiler(limits);
  return { stream, result: () => stream.result() };
}

/** Convenience: profile a whole source (a Readable or any async iterable of bytes). */
export async function profileCsv(
  source: NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>,
  limits: Partial<CsvLimits> = {},
): Promise<CsvProfile> {
  const profiler = new CsvProfiler(limits);
  await pipeline(source, profiler);
  return profiler.result();
}
