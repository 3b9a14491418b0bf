import type { CsvProfile } from '../csv-profiler';
import type { CsvLimits } from '../limits';

/** Messages between a CsvParsePool and one of its worker threads. One session at a time per thread. */
export type ToWorker =
  | { type: 'open'; session: number; mode: 'profile'; limits: CsvLimits }
  /** `maxRows`: rows sent back at most (the rest of each chunk is still validated). */
  | { type: 'open'; session: number; mode: 'rows'; limits: CsvLimits; maxRows: number }
  | { type: 'chunk'; session: number; bytes: Uint8Array }
  | { type: 'end'; session: number }
  | { type: 'abort'; session: number };

export type FromWorker =
  /** The chunk was parsed; in `rows` mode, the header (once) and the rows it completed. */
  | { type: 'ack'; session: number; columns?: string[]; rows?: string[][] }
  | { type: 'done'; session: number; profile?: CsvProfile; columns?: string[]; rows?: string[][] }
  | { type: 'failed'; session: number; error: WireError };

/** A TesseraError as it crosses the thread boundary (`code` absent: any other error). */
export interface WireError {
  code?: string;
  message: string;
  extensions?: Record<string, unknown>;
}
