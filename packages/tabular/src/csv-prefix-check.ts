import { CsvStreamValidator } from './csv-stream';
import { resolveCsvLimits, type CsvLimits } from './limits';

/**
 * What CsvPrefixCheck looks at of a file whose lines are of a usual length: this much, to the end of
 * the line it ends in. Its caller runs it on an event loop every tenant shares, where the validator
 * costs about as much per byte as the full check (some MB/s), so a valid file pays for this much only.
 */
export const prefixCheckUsualBytes = 16 * 1024;

/**
 * The most of a file CsvPrefixCheck looks at: a file still inside one line after
 * `prefixCheckUsualBytes` (a long header, a binary file, a line with no break) is followed this far
 * and no further. It is parsed on an event loop every tenant shares, at some MB/s, and a tenant can
 * send such files as fast as it can create uploads: 64 KiB costs that loop a few milliseconds each,
 * where following a line to a value one byte over its 1 MiB limit cost about 100 ms. A longer line
 * is left to the full check, on its thread, like everything past this part.
 */
export const prefixCheckMaxBytes = 64 * 1024;

/**
 * The first part of a CSV file, checked while it arrives with the same streaming validator the full
 * check uses (no grammar of its own), so a file that is certainly invalid is refused before the rest
 * of it has been sent. A rejection from the validator's write depends only on the bytes before it
 * (the validator gives the same error however the file is cut into chunks), so it is the error the
 * full check of the whole file gives: not UTF-8, a bad header, a row with the wrong number of fields,
 * malformed quoting, a value over its limit. What only the end of the file decides (no data rows, a
 * quote never closed, the row count) is left to the full check. It stops at the first line break
 * after `usualBytes`, or at `prefixBytes`, and holds nothing more.
 *
 * Call `check` with each chunk in order, waiting for the previous one; then `dispose`.
 */
export class CsvPrefixCheck {
  private validator: CsvStreamValidator | undefined;
  private checked = 0;
  /** The error `check` rejected with, if it did (to tell it from other failures around the chunk). */
  refusal: Error | undefined;

  constructor(
    limits: Partial<CsvLimits>,
    readonly prefixBytes: number = prefixCheckMaxBytes,
    readonly usualBytes: number = prefixCheckUsualBytes,
  ) {
    this.validator = prefixBytes > 0 ? new CsvStreamValidator(resolveCsvLimits(limits), { onRow: () => undefined }) : undefined;
  }

  /** True once it has stopped looking (its part passed, or it refused); later chunks are not looked at. */
  get finished(): boolean {
    return this.validator === undefined;
  }

  /**
   * Resolves once the part of `chunk` within the prefix has passed; rejects with the typed error
   * (BAD_USER_INPUT or PAYLOAD_TOO_LARGE) the full check gives the file. Returns undefined, without
   * a promise to wait for, once its part is behind.
   */
  check(chunk: Uint8Array): Promise<void> | undefined {
    const validator = this.validator;
    if (!validator) return undefined;
    let part = chunk.subarray(0, this.prefixBytes - this.checked);
    let enough = false;
    if (this.checked + part.byteLength > this.usualBytes) {
      // Which break ends a line (one inside a quoted value does not) matters not: stopping early
      // only leaves more to the full check.
      const lineEnd = lineBreakAt(part, Math.max(0, this.usualBytes - this.checked));
      if (lineEnd >= 0) {
        part = part.subarray(0, lineEnd + 1);
        enough = true;
      }
    }
    this.checked += part.byteLength;
    return new Promise<void>((resolve, reject) => {
      validator.write(part, (error) => {
        if (error) {
          this.refusal = error;
          this.dispose();
          return reject(error);
        }
        if (enough || this.checked >= this.prefixBytes) this.dispose();
        resolve();
      });
    });
  }

  dispose(): void {
    this.validator?.destroy();
    this.validator = undefined;
  }
}

/** Index of the first LF or CR in `bytes` at or after `from`, or -1. */
function lineBreakAt(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i++) if (bytes[i] === 0x0a || bytes[i] === 0x0d) return i;
  return -1;
}
