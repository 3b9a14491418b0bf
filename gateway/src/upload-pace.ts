import { TesseraError } from '@tessera/errors';

/**
 * How fast an upload's body must arrive, besides never pausing for the idle timeout. An upload
 * holds one of its tenant's transfer slots, a connection to the subgraph, and there its declared
 * size of the models service's upload memory or its bytes on the datasets service's spool — all
 * shared. A client sending a byte just within every idle timeout held them for good.
 *
 * The bound is a minimum average rate, as Apache's mod_reqtimeout `MinRate`: the body gets
 * `graceMs`, and each `minBytesPerSecond` bytes received buy one more second. So an upload's time
 * is bounded by its size — at most `graceMs + declaredBytes / minBytesPerSecond` — and an honest
 * large file on a slow link (any link above the minimum, averaged over the whole upload, pauses
 * included) is never cut, whereas a fixed deadline would cut it or be too long for small ones.
 * `maxDurationMs` adds an absolute ceiling for operators who want one whatever the size.
 */
export interface UploadPace {
  /** Bytes per second the body must average beyond the grace period. */
  minBytesPerSecond: number;
  /** Time every upload gets before the rate counts (a slow start, a short pause early on). */
  graceMs: number;
  /** Longest an upload's body may take, whatever its rate; 0: no ceiling but the rate's. */
  maxDurationMs: number;
}

/** 16 KiB/s (about 130 kbit/s, under any mobile link still in use) after a minute: 1 GiB may take 18 h 12 min. */
export const defaultUploadPace: UploadPace = { minBytesPerSecond: 16 * 1024, graceMs: 60_000, maxDurationMs: 0 };

/** `pace` over the defaults, a setting left undefined keeping its default. */
export function uploadPaceOf(pace: Partial<UploadPace> | undefined): UploadPace {
  return {
    minBytesPerSecond: pace?.minBytesPerSecond ?? defaultUploadPace.minBytesPerSecond,
    graceMs: pace?.graceMs ?? defaultUploadPace.graceMs,
    maxDurationMs: pace?.maxDurationMs ?? defaultUploadPace.maxDurationMs,
  };
}

/** Why an upload's body was given up; each is answered 408 `BAD_REQUEST` with this `reason`. */
export type UploadCutReason = 'UPLOAD_STALLED' | 'UPLOAD_TOO_SLOW' | 'UPLOAD_TIMEOUT';

const refusals = new WeakSet<TesseraError>();

/** True for the error an upload was cut with (stalled, too slow, too long): it is answered 408. */
export function isUploadCut(error: unknown): error is TesseraError {
  return error instanceof TesseraError && refusals.has(error);
}

function cut(reason: UploadCutReason, message: string, details: Record<string, number>): TesseraError {
  const error = new TesseraError('BAD_REQUEST', message, { reason, ...details });
  refusals.add(error);
  return error;
}

export function uploadStalled(idleTimeoutMs: number): TesseraError {
  return cut('UPLOAD_STALLED', `The upload stalled: no bytes arrived for ${idleTimeoutMs / 1000} s.`, { idleTimeoutMs });
}

export interface PaceWatch {
  /** Counts bytes of the body as they arrive. */
  received(bytes: number): void;
  /** The body is in, or the upload ended otherwise: no more checks. */
  stop(): void;
}

/**
 * Calls `onCut` once, with the typed refusal, when the body falls behind `pace`. One timer per
 * upload, set for the moment the body would fall behind at the bytes it has so far, and set again
 * further when it fires to find more bytes arrived: no periodic work for a body that keeps up.
 */
export function watchUploadPace(pace: UploadPace, onCut: (error: TesseraError) => void): PaceWatch {
  const started = Date.now();
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const ceiling = pace.maxDurationMs > 0 ? started + pace.maxDurationMs : Infinity;
  const behindAt = () => started + pace.graceMs + (bytes / pace.minBytesPerSecond) * 1000;
  const arm = () => {
    const at = Math.min(behindAt(), ceiling);
    timer = setTimeout(check, Math.max(0, Math.ceil(at - Date.now())));
    // Never what keeps a process alive: the upload's sockets do that while it lasts.
    timer.unref();
  };
  const check = () => {
    timer = undefined;
    const now = Date.now();
    if (now >= ceiling) {
      return onCut(cut('UPLOAD_TIMEOUT', `The upload did not arrive within ${pace.maxDurationMs / 1000} s.`, { maxDurationMs: pace.maxDurationMs, receivedBytes: bytes }));
    }
    if (now >= behindAt()) {
      return onCut(
        cut('UPLOAD_TOO_SLOW', `The upload arrived too slowly: under ${pace.minBytesPerSecond} bytes/s on average after its first ${pace.graceMs / 1000} s.`, {
          minBytesPerSecond: pace.minBytesPerSecond,
          graceMs: pace.graceMs,
          receivedBytes: bytes,
        }),
      );
    }
    arm();
  };
  arm();
  return {
    received: (count) => {
      bytes += count;
    },
    stop: () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
