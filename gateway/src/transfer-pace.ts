/**
 * How fast a transfer must move, besides never pausing for the idle timeout. An upload holds one
 * of its tenant's transfer slots, a connection to the subgraph, and there its declared size of the
 * models service's upload memory or its bytes on the datasets service's spool; a download holds a
 * slot, a connection to the subgraph, and there a connection to the object store and a decrypting
 * stream — all shared. A client moving a few bytes just within every idle timeout held them for good.
 *
 * The bound is a minimum average rate, as Apache's mod_reqtimeout `MinRate`: the transfer gets
 * `graceMs`, and each `minBytesPerSecond` bytes moved buy one more second. So a transfer's time
 * is bounded by its size — at most `graceMs + bytes / minBytesPerSecond` — and an honest large
 * file on a slow link (any link above the minimum, averaged over the whole transfer, pauses
 * included) is never cut, whereas a fixed deadline would cut it or be too long for small ones.
 * `maxDurationMs` adds an absolute ceiling for operators who want one whatever the size.
 */
export interface TransferPace {
  /** Bytes per second the transfer must average beyond the grace period. */
  minBytesPerSecond: number;
  /** Time every transfer gets before the rate counts (a slow start, a short pause early on). */
  graceMs: number;
  /** Longest a transfer may take, whatever its rate; 0: no ceiling but the rate's. */
  maxDurationMs: number;
}

/** 16 KiB/s (about 130 kbit/s, under any mobile link still in use) after a minute: 1 GiB may take 18 h 12 min. */
export const defaultTransferPace: TransferPace = { minBytesPerSecond: 16 * 1024, graceMs: 60_000, maxDurationMs: 0 };

/** `pace` over the defaults, a setting left undefined keeping its default. */
export function transferPaceOf(pace: Partial<TransferPace> | undefined): TransferPace {
  return {
    minBytesPerSecond: pace?.minBytesPerSecond ?? defaultTransferPace.minBytesPerSecond,
    graceMs: pace?.graceMs ?? defaultTransferPace.graceMs,
    maxDurationMs: pace?.maxDurationMs ?? defaultTransferPace.maxDurationMs,
  };
}

/** Why a transfer fell behind: under the average rate (`TOO_SLOW`), or past the ceiling (`TIMEOUT`); `bytes` it had moved by then. */
export interface PaceCut {
  kind: 'TOO_SLOW' | 'TIMEOUT';
  bytes: number;
}

export interface PaceWatch {
  /** The transfer is over (done, or ended otherwise): no more checks. */
  stop(): void;
}

/**
 * Calls `onCut` once when the transfer falls behind `pace`, `moved()` telling how many bytes it
 * has moved so far (read only when a check is due, so it may count whatever way fits the
 * direction: bytes received, bytes a client has taken). One timer per transfer, set for the moment
 * it would fall behind at the bytes it has so far, and set again further when it fires to find
 * more bytes moved: no periodic work for a transfer that keeps up.
 */
export function watchTransferPace(pace: TransferPace, moved: () => number, onCut: (cut: PaceCut) => void): PaceWatch {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const ceiling = pace.maxDurationMs > 0 ? started + pace.maxDurationMs : Infinity;
  const behindAt = (bytes: number) => started + pace.graceMs + (bytes / pace.minBytesPerSecond) * 1000;
  const arm = (bytes: number) => {
    const at = Math.min(behindAt(bytes), ceiling);
    timer = setTimeout(check, Math.max(0, Math.ceil(at - Date.now())));
    // Never what keeps a process alive: the transfer's sockets do that while it lasts.
    timer.unref();
  };
  const check = () => {
    timer = undefined;
    const now = Date.now();
    const bytes = moved();
    if (now >= ceiling) return onCut({ kind: 'TIMEOUT', bytes });
    if (now >= behindAt(bytes)) return onCut({ kind: 'TOO_SLOW', bytes });
    arm(bytes);
  };
  arm(0);
  return {
    stop: () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
