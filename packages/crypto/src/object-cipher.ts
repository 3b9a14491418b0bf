import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Transform } from 'node:stream';
import { createDecryptStream, type DecryptOptions } from './decrypt-stream';
import { createEncryptStream, type EncryptOptions } from './encrypt-stream';

export { createEncryptStream, type EncryptOptions } from './encrypt-stream';
export { createDecryptStream, type DecryptOptions } from './decrypt-stream';
export { CHUNK_SIZE, HEADER_SIZE, encryptedSize, readKeyVersion } from './object-format';

/** For small objects already in memory; built on the streams so there is a single implementation of the format. */
export function encryptBuffer(plaintext: Buffer, opts: EncryptOptions): Promise<Buffer> {
  return runThrough(plaintext, createEncryptStream(opts));
}

export function decryptBuffer(ciphertext: Buffer, opts: DecryptOptions): Promise<Buffer> {
  return runThrough(ciphertext, createDecryptStream(opts));
}

async function runThrough(input: Buffer, transform: Transform): Promise<Buffer> {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  await pipeline(Readable.from(input.length > 0 ? [input] : []), transform, sink);
  return Buffer.concat(out);
}
