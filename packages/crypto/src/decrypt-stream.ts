import { Transform, type TransformCallback } from 'node:stream';
import { ByteQueue } from './byte-queue';
import { chunkNonce, deriveObjectKey, openChunk } from './chunk-aead';
import { CryptoError } from './crypto-error';
import { assertKey } from './key-checks';
import { HEADER_SIZE, SEALED_CHUNK_SIZE, parseHeader, type ObjectHeader } from './object-format';

export type DecryptOptions =
  | {
      /** Returns the DEK for the key version recorded in the object's header. */
      resolveKey: (keyVersion: number) => Buffer | Promise<Buffer>;
      /** Must equal the value used at encryption. */
      associatedData: string;
    }
  | {
      /** This object's own key (objectKeyOf), from whoever holds the data key: it opens no other object. */
      objectKey: Buffer;
      associatedData: string;
    };

interface Opened {
  header: ObjectHeader;
  key: Buffer;
  aad: Buffer;
}

class DecryptStream extends Transform {
  private readonly pending = new ByteQueue();
  private opened: Opened | undefined;
  private counter = 0;

  constructor(private readonly opts: DecryptOptions) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending.push(chunk);
    // Transform waits for the callback before the next write, so the async key lookup cannot interleave.
    this.consume().then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.finish().then(() => callback(), callback);
  }

  private async consume(): Promise<void> {
    const opened = this.opened ?? (await this.open());
    if (opened === undefined) return;
    // A full chunk followed by more bytes cannot be the last one; the final chunk is opened in _flush.
    while (this.pending.length > SEALED_CHUNK_SIZE) this.openNext(opened, this.pending.take(SEALED_CHUNK_SIZE), false);
  }

  private async finish(): Promise<void> {
    const opened = this.opened ?? (await this.open());
    if (opened === undefined) {
      throw new CryptoError('OBJECT_TAMPERED', 'Encrypted object is truncated: the header is incomplete.');
    }
    // Whatever remains must be exactly the chunk sealed as last; a cut or appended tail fails its tag here.
    this.openNext(opened, this.pending.take(this.pending.length), true);
  }

  private async open(): Promise<Opened | undefined> {
    if (this.pending.length < HEADER_SIZE) return undefined;
    const header = parseHeader(this.pending.take(HEADER_SIZE));
    this.opened = {
      header,
      key: await this.keyOf(header),
      aad: Buffer.concat([header.bytes, Buffer.from(this.opts.associatedData, 'utf8')]),
    };
    return this.opened;
  }

  private async keyOf(header: ObjectHeader): Promise<Buffer> {
    if ('objectKey' in this.opts) {
      // A key for another object (or a swapped header) fails at the first chunk's tag.
      assertKey(this.opts.objectKey, 'INVALID_DATA_KEY', 'Object key');
      return this.opts.objectKey;
    }
    const dataKey = await this.opts.resolveKey(header.keyVersion);
    assertKey(dataKey, 'INVALID_DATA_KEY', `Data key for version ${header.keyVersion}`);
    return deriveObjectKey(dataKey, header.salt);
  }

  private openNext(opened: Opened, sealed: Buffer, last: boolean): void {
    const nonce = chunkNonce(opened.header.noncePrefix, this.counter, last);
    this.counter += 1;
    this.push(openChunk(opened.key, nonce, opened.aad, sealed));
  }
}

/**
 * Encrypted object in, plaintext out. Each chunk is released only after its tag verifies, so a
 * consumer may see a verified prefix before an error, never unverified bytes. Any corruption
 * errors the stream with CryptoError OBJECT_TAMPERED; consumers must treat partial output of a
 * failed stream as unusable.
 */
export function createDecryptStream(opts: DecryptOptions): Transform {
  return new DecryptStream(opts);
}
