import { Readable, pipeline, type Transform } from 'node:stream';
import { isCryptoError } from '@tessera/crypto';
import { errors } from '@tessera/errors';

/**
 * The plaintext of an object-store response read through its decrypt stream, as one stream that
 * a reader can simply iterate, pipe or destroy:
 * - an error on either side (the connection reset mid-read, a failed key lookup, a chunk that fails
 *   authentication) errors this stream, so it reaches the reader instead of going unheard;
 * - a reader that stops early (destroys it, or leaves its loop) destroys the response too, which
 *   releases its socket (`.pipe` never destroys its source);
 * - content that fails authentication is DATA_CORRUPTED, not an internal error: a CryptoError is not
 *   a client error, but an altered or truncated object is a known condition, not a bug.
 */
export function decryptedStream(source: Readable, decrypt: Transform): Readable {
  const plain = new Readable({
    read() {
      decrypt.resume();
    },
    destroy(error, callback) {
      decrypt.destroy();
      callback(error);
    },
  });
  decrypt.on('data', (chunk: Buffer) => {
    if (!plain.push(chunk)) decrypt.pause();
  });
  decrypt.on('end', () => plain.push(null));
  pipeline(source, decrypt, (error) => {
    if (error) plain.destroy(objectReadError(error));
  });
  return plain;
}

/** A failed read of an encrypted object as the caller should see it; anything else is left as it is. */
export function objectReadError(error: Error): Error {
  if (isCryptoError(error) && error.code === 'OBJECT_TAMPERED') {
    return errors.dataCorrupted('The stored content failed its integrity check (it was altered or cut short in storage).');
  }
  return error;
}
