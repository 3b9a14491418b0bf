import type { Hash } from 'node:crypto';
import { once } from 'node:events';
import { errors } from '@tessera/errors';
import type { CsvProfiler } from '@tessera/tabular';

/** What the output must match, and what it is measured into, as it streams to the store. */
export interface Measure {
  /** The exact byte count the first read counted (and the storage reservation and Content-Length are). */
  byteSize: number;
  sha256: Hash;
  profiler: CsvProfiler;
  /** The first read's digest of the rows (hex), and the running digest of the second read's. */
  firstRead: string;
  secondRead: Hash;
}

/**
 * The output on its way to the store, hashed and profiled as it passes (the profiler's pace is the
 * stream's). A byte count over the first pass's, or a second read that saw other rows, throws
 * DATA_CORRUPTED before the last piece goes out: the PUT is aborted and the store never completes
 * the object. The profiler is ended once everything matched.
 */
export async function* measured(lines: AsyncIterable<Buffer>, measure: Measure): AsyncGenerator<Buffer> {
  const { profiler } = measure;
  let bytes = 0;
  for await (const piece of lines) {
    bytes += piece.length;
    if (bytes > measure.byteSize) throw secondReadDiffers();
    measure.sha256.update(piece);
    if (!profiler.write(piece)) await once(profiler, 'drain');
    if (profiler.errored) throw profiler.errored;
    yield piece;
  }
  if (bytes !== measure.byteSize || measure.secondRead.digest('hex') !== measure.firstRead) throw secondReadDiffers();
  profiler.end();
}

function secondReadDiffers(): Error {
  return errors.dataCorrupted('The dataset version read differently the second time (its rows, or the output they make, changed between the two passes); no output was stored.');
}
