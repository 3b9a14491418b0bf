import { TesseraError } from '@tessera/errors';

const cuts = new WeakSet<TesseraError>();

/**
 * An upload's reservation of the upload memory is its declared size from before its first byte
 * until its body is in, however few bytes have come: what it costs every other tenant is that size
 * times that time. The gateway's pace floor bounds only the rate, so a 256 MiB file sent just above
 * it held 256 MiB for hours. A fixed hold time bounds that cost per upload, whatever the rate.
 */
export interface UploadHold {
  /** Aborted (its reason unused) once the body has had `holdMs` to arrive. */
  readonly signal: AbortSignal;
  /** The typed refusal once the hold time is up, with the bytes received by then. */
  cut(receivedBytes: number): TesseraError;
  /** The body is in, or the upload ended otherwise: no more timer. */
  stop(): void;
}

/** Starts the hold time of one upload's reservation (call right after it is reserved). */
export function holdUploadMemory(holdMs: number): UploadHold {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), holdMs);
  // The upload's connection keeps the process alive while it lasts, never this timer.
  timer.unref();
  return {
    signal: controller.signal,
    cut: (receivedBytes) => {
      const error = new TesseraError(
        'BAD_REQUEST',
        `The upload did not arrive within ${holdMs / 1000} s, the longest an upload may hold this service's upload memory; send it again to the same URL on a faster link.`,
        { reason: 'UPLOAD_TIMEOUT', limit: 'modelUploadMemoryHold', maxDurationMs: holdMs, receivedBytes },
      );
      cuts.add(error);
      return error;
    },
    stop: () => clearTimeout(timer),
  };
}

/** True for the error an upload was cut with when its hold time was up (answered 408, its connection closed, the upload left PENDING). */
export function isUploadHoldCut(error: unknown): error is TesseraError {
  return error instanceof TesseraError && cuts.has(error);
}
