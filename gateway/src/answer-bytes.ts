import type { ServerResponse } from 'node:http';

/**
 * Counts the bytes of an answer's body as it is written, and reports them once when the response
 * closes (sent, or cut short: what was written was produced all the same). Used to make a tenant
 * pay for its answers' size (the pipeline's `answered`), the one cost of a request its document
 * cannot tell in advance: a `predict` of a few values can answer 262 144, a listing megabytes.
 */
export function onAnswerBytes(res: ServerResponse, done: (bytes: number) => void): void {
  let bytes = 0;
  const write = res.write;
  const end = res.end;
  // (The overloads of write/end take (chunk, encoding?, callback?) or (callback); only a chunk is counted.)
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    bytes += sizeOf(chunk, rest[0]);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk !== 'function') bytes += sizeOf(chunk, rest[0]);
    return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];
  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    done(bytes);
  };
  if (res.destroyed) report();
  else res.once('close', report);
}

function sizeOf(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
