import type { ServerResponse } from 'node:http';
import { watchTransferPace, type PaceWatch, type TransferPace } from './transfer-pace';

/**
 * How fast a client must take an answer (a GraphQL or predict-route body) once it is written: a
 * client that stops reading leaves the whole answer queued in the gateway's memory, shared by every
 * tenant (twelve unread 10 MB answers held 530 MB of it). 16 KiB/s on average after 10 s: an answer
 * is made whole before it is written, so unlike a download it has no reason to start slowly.
 */
export const defaultAnswerPace: TransferPace = { minBytesPerSecond: 16 * 1024, graceMs: 10_000, maxDurationMs: 0 };

export interface AnswerWatchOptions {
  /** The pace its client must take it at; behind it, the connection is destroyed (the body ends short). */
  pace?: TransferPace | undefined;
  /** Called once when an answer is cut for falling behind `pace`, with the bytes its client had taken. */
  onCut?: ((taken: number) => void) | undefined;
}

/**
 * Counts the bytes of an answer's body as it is written, and reports them once: when the answer is
 * complete (`end`) — before its client has taken it, so an answer left unread is paid for at once —
 * or when the response closes first (cut short: what was written was produced all the same). Used
 * to make a tenant pay for its answers' size (the pipeline's `answered`), the one cost of a request
 * its document cannot tell in advance: a `predict` of a few values can answer 262 144, a listing
 * megabytes. With a `pace`, an answer whose client does not take it fast enough is cut (see
 * `defaultAnswerPace`); the bytes the kernel accepted count as taken.
 */
export function onAnswerBytes(res: ServerResponse, done: (bytes: number) => void, options: AnswerWatchOptions = {}): void {
  let bytes = 0;
  let reported = false;
  let watch: PaceWatch | undefined;
  const report = () => {
    if (reported) return;
    reported = true;
    done(bytes);
  };
  const stopWatch = () => {
    watch?.stop();
    watch = undefined;
  };
  const startWatch = () => {
    const pace = options.pace;
    if (!pace || watch || reported || res.writableFinished) return;
    // What the client has taken: the bytes written less those still queued in the gateway.
    watch = watchTransferPace(pace, () => Math.max(0, bytes - res.writableLength), (cut) => {
      watch = undefined;
      if (res.writableFinished || res.destroyed) return;
      options.onCut?.(cut.bytes);
      res.destroy();
    });
  };
  const write = res.write;
  const end = res.end;
  // (The overloads of write/end take (chunk, encoding?, callback?) or (callback); only a chunk is counted.)
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    bytes += sizeOf(chunk, rest[0]);
    const result = (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    startWatch();
    return result;
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk !== 'function') bytes += sizeOf(chunk, rest[0]);
    const result = (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    startWatch();
    report();
    return result;
  } as ServerResponse['end'];
  // All handed to the kernel: nothing of it is left in the gateway's memory.
  res.once('finish', stopWatch);
  if (res.destroyed) report();
  else
    res.once('close', () => {
      stopWatch();
      report();
    });
}

function sizeOf(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
