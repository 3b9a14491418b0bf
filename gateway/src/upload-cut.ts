import { TesseraError } from '@tessera/errors';
import type { PaceCut, TransferPace } from './transfer-pace';

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

/** The typed refusal of an upload whose body fell behind `pace` (transfer-pace.ts). */
export function uploadBehind(pace: TransferPace, behind: PaceCut): TesseraError {
  if (behind.kind === 'TIMEOUT') {
    return cut('UPLOAD_TIMEOUT', `The upload did not arrive within ${pace.maxDurationMs / 1000} s.`, { maxDurationMs: pace.maxDurationMs, receivedBytes: behind.bytes });
  }
  return cut('UPLOAD_TOO_SLOW', `The upload arrived too slowly: under ${pace.minBytesPerSecond} bytes/s on average after its first ${pace.graceMs / 1000} s.`, {
    minBytesPerSecond: pace.minBytesPerSecond,
    graceMs: pace.graceMs,
    receivedBytes: behind.bytes,
  });
}
