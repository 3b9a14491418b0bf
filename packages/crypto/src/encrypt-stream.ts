import { Transform, type TransformCallback } from 'node:stream';
import { ByteQueue } from './byte-queue';
import { chunkNonce, deriveObjectKey, sealChunk } from './chunk-aead';
import { assertKey } from './key-checks';
import { CHUNK_SIZE, createHeader, parseHeader, type ObjectHeader } from './object-format';
import type { ObjectSeal } from './object-seal';

export type EncryptOptions =
  | {
      /** The tenant's plaintext DEK (32 bytes). */
      dataKey: Buffer;
      /** Stored in the header so the decryptor can find this DEK after later rotations. */
      keyVersion: number;
      /** Binds the ciphertext to where it lives, e.g. "tenantId/objectKey"; must match on decrypt. */
      associatedData: string;
    }
  | {
      /** A header and its object key made by whoever holds the data key (createObjectSeal); used once. */
      seal: ObjectSeal;
      associatedData: string;
    };

class EncryptStream extends Transform {
  private readonly header: ObjectHeader;
  private readonly key: Buffer;
  private readonly aad: Buffer;
  private readonly pending = new ByteQueue();
  private counter = 0;
  private headerSent = false;

  constructor(opts: EncryptOptions) {
    super();
    if ('seal' in opts) {
      assertKey(opts.seal.objectKey, 'INVALID_DATA_KEY', 'Object key');
      this.header = parseHeader(opts.seal.header);
      this.key = opts.seal.objectKey;
    } else {
      assertKey(opts.dataKey, 'INVALID_DATA_KEY', 'Data key');
      this.header = createHeader(opts.keyVersion);
      this.key = deriveObjectKey(opts.dataKey, this.header.salt);
    }
    this.aad = Buffer.concat([this.header.bytes, Buffer.from(opts.associatedData, 'utf8')]);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.pending.push(chunk);
      // Strictly more than one chunk queued: only then do we know this chunk is not the last.
      while (this.pending.length > CHUNK_SIZE) this.seal(this.pending.take(CHUNK_SIZE), false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.seal(this.pending.take(this.pending.length), true);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private seal(plaintext: Buffer, last: boolean): void {
    if (!this.headerSent) {
      this.push(this.header.bytes);
      this.headerSent = true;
    }
    const nonce = chunkNonce(this.header.noncePrefix, this.counter, last);
    this.counter += 1;
    this.push(sealChunk(this.key, nonce, this.aad, plaintext));
  }
}

/**
 * Plaintext in, encrypted object out. Holds at most one chunk plus the current write; backpressure
 * comes from Transform, which delays the write callback while the readable side is full.
 */
export function createEncryptStream(opts: EncryptOptions): Transform {
  return new EncryptStream(opts);
}
