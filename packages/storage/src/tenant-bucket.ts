import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptStream, createEncryptStream, encryptedSize } from '@tessera/crypto';
import { errors } from '@tessera/errors';
import type { ObjectStoreClient } from './object-store';
import { removeKeys } from './remove-keys';

export interface DataKeyRef {
  dataKey: Buffer;
  keyVersion: number;
}

export interface StoredObject {
  key: string;
  plainSize: number;
  storedSize: number;
  keyVersion: number;
}

/** The bytes an object of `plainSize` takes in the bucket once encrypted (what storage quotas count). */
export function storedSizeOf(plainSize: number): number {
  return encryptedSize(plainSize);
}

/**
 * One tenant's bucket. Every object is encrypted with the tenant's data key before it leaves the
 * process, and its ciphertext is bound to "tenant/key", so a byte-for-byte copy of an object into
 * another tenant's bucket (or under another key) does not decrypt.
 */
export class TenantBucket {
  constructor(
    private readonly client: ObjectStoreClient,
    readonly tenantId: string,
    readonly bucketName: string,
  ) {}

  private associatedData(key: string): string {
    return `${this.tenantId}/${key}`;
  }

  /**
   * Streams `source` (exactly `plainSize` bytes) through encryption into the bucket. A source
   * that is shorter or longer than declared fails, and nothing is left behind.
   */
  async putEncrypted(key: string, source: Readable, plainSize: number, dataKey: DataKeyRef): Promise<StoredObject> {
    const encrypt = createEncryptStream({ dataKey: dataKey.dataKey, keyVersion: dataKey.keyVersion, associatedData: this.associatedData(key) });
    const exact = exactLength(plainSize);
    const storedSize = storedSizeOf(plainSize);
    const upload = this.client.putObject(this.bucketName, key, encrypt, storedSize, { 'Content-Type': 'application/octet-stream' });
    try {
      await Promise.all([pipeline(source, exact, encrypt), upload]);
    } catch (error) {
      encrypt.destroy();
      await upload.catch(() => undefined);
      await this.removeQuietly(key);
      throw error;
    }
    return { key, plainSize, storedSize, keyVersion: dataKey.keyVersion };
  }

  async putEncryptedBuffer(key: string, body: Buffer, dataKey: DataKeyRef): Promise<StoredObject> {
    return this.putEncrypted(key, Readable.from([body]), body.length, dataKey);
  }

  /** A plaintext stream; it errors (OBJECT_TAMPERED) as soon as a chunk fails authentication. */
  async getDecrypted(key: string, resolveKey: (version: number) => Promise<Buffer>): Promise<Readable> {
    const raw = await this.client.getObject(this.bucketName, key).catch((error: unknown) => {
      if (isNoSuchKey(error)) throw errors.notFound('Object', key);
      throw error;
    });
    const decrypt = createDecryptStream({ resolveKey, associatedData: this.associatedData(key) });
    raw.on('error', (error) => decrypt.destroy(error));
    return raw.pipe(decrypt);
  }

  async getDecryptedBuffer(key: string, resolveKey: (version: number) => Promise<Buffer>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.getDecrypted(key, resolveKey)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async listKeys(prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucketName, prefix, true)) {
      if (item.name) keys.push(item.name);
    }
    return keys.sort();
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.statObject(this.bucketName, key);
      return true;
    } catch (error) {
      if (isNoSuchKey(error)) return false;
      throw error;
    }
  }

  async removePrefix(prefix: string): Promise<number> {
    const keys = await this.listKeys(prefix);
    await removeKeys(this.client, this.bucketName, keys);
    return keys.length;
  }

  async remove(key: string): Promise<void> {
    await this.client.removeObject(this.bucketName, key);
  }

  private async removeQuietly(key: string): Promise<void> {
    await this.client.removeObject(this.bucketName, key).catch(() => undefined);
    await this.client.removeIncompleteUpload(this.bucketName, key).catch(() => undefined);
  }
}

function isNoSuchKey(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'NoSuchKey' || code === 'NotFound';
}

/** Passes bytes through, failing if there are more or fewer than `expected`. */
export function exactLength(expected: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > expected) {
        callback(errors.badInput(`The content is larger than the declared ${expected} bytes.`, { declaredBytes: expected }));
        return;
      }
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (seen !== expected) {
        callback(errors.badInput(`The content is ${seen} bytes but ${expected} were declared.`, { declaredBytes: expected, receivedBytes: seen }));
        return;
      }
      callback();
    },
  });
}
