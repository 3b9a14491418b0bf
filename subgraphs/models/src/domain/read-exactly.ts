import type { Readable } from 'node:stream';
import { errors } from '@tessera/errors';

/**
 * Collects exactly `expected` bytes from a request body. More bytes than declared fail as soon
 * as they arrive (memory never grows past the declared size); fewer fail at the end.
 */
export async function readExactly(body: Readable, expected: number): Promise<Buffer> {
  // Memory of its own (never a slice of Node's shared pool), so it can be transferred to a validation thread.
  const buffer = Buffer.allocUnsafeSlow(expected);
  let seen = 0;
  try {
    for await (const chunk of body.iterator({ destroyOnReturn: false })) {
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
}
