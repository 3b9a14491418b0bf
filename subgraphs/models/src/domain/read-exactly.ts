import type { Readable } from 'node:stream';
import { errors } from '@tessera/errors';

/** A time the whole body must be in by: `signal` aborts then, and `cut` is the error the read fails with. */
export interface ReadDeadline {
  signal: AbortSignal;
  cut(receivedBytes: number): Error;
}

/**
 * Collects exactly `expected` bytes from a request body. More bytes than declared fail as soon
 * as they arrive (memory never grows past the declared size); fewer fail at the end; with a
 * `deadline`, a body not all in by then fails at that moment, however slowly it is still arriving.
 */
export async function readExactly(body: Readable, expected: number, deadline?: ReadDeadline): Promise<Buffer> {
  // Memory of its own (never a slice of Node's shared pool), so it can be transferred to a validation thread.
  const buffer = Buffer.allocUnsafeSlow(expected);
  let seen = 0;
  const reading = (async () => {
    try {
      for await (const chunk of body.iterator({ destroyOnReturn: false })) {
        // Given up already: nothing more is copied while the connection is being closed.
        if (deadline?.signal.aborted) throw deadline.cut(seen);
        const bytes = chunk as Buffer;
        if (seen + bytes.length > expected) {
          throw errors.badInput(`The content is larger than the declared ${expected} bytes.`, { declaredBytes: expected });
        }
        bytes.copy(buffer, seen);
        seen += bytes.length;
      }
    } catch (error) {
      if ((error as { code?: string } | null)?.code === 'ECONNRESET' || (error as Error | null)?.message === 'aborted') {
        throw errors.badInput('The upload was interrupted before all bytes arrived.');
      }
      throw error;
    }
    if (seen !== expected) throw errors.badInput(`The content is ${seen} bytes but ${expected} were declared.`, { declaredBytes: expected, receivedBytes: seen });
    return buffer;
  })();
  if (!deadline) return reading;
  // The loop waits for the body's next bytes, which a trickling client may take long to send: the
  // deadline does not wait for them. The loop then ends when the connection is closed (ignored).
  reading.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    onAbort = () => reject(deadline.cut(seen));
    if (deadline.signal.aborted) onAbort();
    else deadline.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([reading, expired]);
  } finally {
    deadline.signal.removeEventListener('abort', onAbort!);
  }
}
