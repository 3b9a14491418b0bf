import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptStream, createEncryptStream, createObjectSeal, encryptBuffer, encryptedSize, HEADER_SIZE, objectKeyOf, readKeyVersion } from '@tessera/crypto';
import { errors, isTesseraError } from '@tessera/errors';
import { decryptedStream } from './decrypted-stream';
import type { ObjectStoreClient } from './object-store';
import type { ObjectReadAccess, ObjectWriteAccess } from './presigned-object';
import { listIncompleteUploads } from './buckets';
import { plainObjectKey } from './object-keys';
import { presignedPutWithLength } from './presigned-put-length';
import { removeKeys } from './remove-keys';

/**
 * How long a presigned URL handed to another process lives: it is used at once, and a stream that
 * has started is not cut at expiry. Under STS the URL also ends with the tenant session it was
 * signed with (those are refreshed a minute before they end).
 */
export const presignedUrlSeconds = 120;

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
 * another tenant's bucket (or under another key) does not decrypt. Every key it is handed must be a
 * plain object key (`isPlainObjectKey`: no `.`, `..` or empty segment), or it is BAD_USER_INPUT
 * before the store is asked.
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
    plainObjectKey(key);
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

  /**
   * Re-encrypts an existing object under `dataKey`, in place (same key). The old object is read
   * whole before the new one is written, and a failed write leaves the old object as it was (an S3
   * PUT replaces an object atomically, and nothing is removed on failure, unlike `putEncrypted`):
   * a reader gets either the old or the new object, and the header says which key opens it.
   */
  async reencrypt(key: string, resolveKey: (version: number) => Promise<Buffer>, dataKey: DataKeyRef): Promise<StoredObject> {
    plainObjectKey(key);
    const plain = await this.getDecryptedBuffer(key, resolveKey);
    try {
      const sealed = await encryptBuffer(plain, { dataKey: dataKey.dataKey, keyVersion: dataKey.keyVersion, associatedData: this.associatedData(key) });
      await this.client.putObject(this.bucketName, key, sealed, sealed.length, { 'Content-Type': 'application/octet-stream' });
      return { key, plainSize: plain.length, storedSize: sealed.length, keyVersion: dataKey.keyVersion };
    } finally {
      plain.fill(0);
    }
  }

  /**
   * A plaintext stream; it errors (DATA_CORRUPTED) as soon as a chunk fails authentication, and
   * with the store's or the key lookup's error when those fail. Destroying it closes the response.
   */
  async getDecrypted(key: string, resolveKey: (version: number) => Promise<Buffer>): Promise<Readable> {
    plainObjectKey(key);
    const raw = await this.client.getObject(this.bucketName, key).catch((error: unknown) => {
      if (isNoSuchKey(error)) throw errors.notFound('Object', key);
      throw error;
    });
    return decryptedStream(raw, createDecryptStream({ resolveKey, associatedData: this.associatedData(key) }));
  }

  async getDecryptedBuffer(key: string, resolveKey: (version: number) => Promise<Buffer>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.getDecrypted(key, resolveKey)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * What another process needs to read one object and nothing else: a presigned GET (signed with
   * this bucket's client, so under STS with the tenant's session, which reaches this bucket only)
   * and the key of this object alone, derived here from its header, so the data key stays here.
   */
  async openForReading(key: string, resolveKey: (version: number) => Promise<Buffer>): Promise<ObjectReadAccess> {
    plainObjectKey(key);
    const header = await this.readHeader(key);
    const dataKey = await resolveKey(readKeyVersion(header));
    const url = await this.client.presignedGetObject(this.bucketName, key, presignedUrlSeconds);
    return { url, objectKey: objectKeyOf(dataKey, header).toString('base64'), associatedData: this.associatedData(key), expiresAt: new Date(Date.now() + presignedUrlSeconds * 1000).toISOString() };
  }

  /**
   * What another process needs to write one new object under `key` and nothing else: a presigned
   * PUT and a seal (header and object key) made from the tenant's current data key, used once. With
   * `storedSize`, the URL is good for a body of exactly that many (encrypted) bytes and no other.
   */
  async openForWriting(key: string, dataKey: DataKeyRef, options: { storedSize?: number } = {}): Promise<ObjectWriteAccess> {
    plainObjectKey(key);
    const seal = createObjectSeal(dataKey.dataKey, dataKey.keyVersion);
    const url =
      options.storedSize === undefined
        ? await this.client.presignedPutObject(this.bucketName, key, presignedUrlSeconds)
        : await presignedPutWithLength(this.client, this.bucketName, key, presignedUrlSeconds, options.storedSize);
    return {
      url,
      header: seal.header.toString('base64'),
      objectKey: seal.objectKey.toString('base64'),
      keyVersion: dataKey.keyVersion,
      associatedData: this.associatedData(key),
      expiresAt: new Date(Date.now() + presignedUrlSeconds * 1000).toISOString(),
    };
  }

  /** Size in the bucket, or undefined when there is no such object. */
  async storedSizeOf(key: string): Promise<number | undefined> {
    plainObjectKey(key);
    try {
      return (await this.client.statObject(this.bucketName, key)).size;
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw error;
    }
  }

  /**
   * The data-key version named in an object's header; undefined for an object not in the
   * encrypted format (plain objects, such as signed audit checkpoints) or one that is gone.
   */
  async headerKeyVersion(key: string): Promise<number | undefined> {
    let header: Buffer;
    try {
      header = await this.readHeader(key);
    } catch (error) {
      if (isTesseraError(error) && error.code === 'NOT_FOUND') return undefined;
      if ((error as { code?: unknown }).code === 'InvalidRange') return undefined;
      throw error;
    }
    try {
      return readKeyVersion(header);
    } catch {
      return undefined;
    }
  }

  private async readHeader(key: string): Promise<Buffer> {
    plainObjectKey(key);
    const raw = await this.client.getPartialObject(this.bucketName, key, 0, HEADER_SIZE).catch((error: unknown) => {
      if (isNoSuchKey(error)) throw errors.notFound('Object', key);
      throw error;
    });
    const chunks: Buffer[] = [];
    for await (const chunk of raw) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).subarray(0, HEADER_SIZE);
  }

  async listKeys(prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucketName, prefix, true)) {
      if (item.name) keys.push(item.name);
    }
    return keys.sort();
  }

  async exists(key: string): Promise<boolean> {
    plainObjectKey(key);
    try {
      await this.client.statObject(this.bucketName, key);
      return true;
    } catch (error) {
      if (isNoSuchKey(error)) return false;
      throw error;
    }
  }

  /**
   * Removes every object under `prefix` and aborts every multipart upload begun under it and never
   * completed (an upload over the client's part size whose process died, or whose completion the
   * store failed): their parts are bytes of the tenant that no object listing shows, and would stay,
   * outside its storage quota, until the whole bucket goes. Returns the number of objects removed.
   */
  async removePrefix(prefix: string): Promise<number> {
    const keys = await this.listKeys(prefix);
    await removeKeys(this.client, this.bucketName, keys);
    for (const upload of await listIncompleteUploads(this.client, this.bucketName, prefix)) {
      await this.client.abortMultipartUpload(this.bucketName, upload.key, upload.uploadId);
    }
    return keys.length;
  }

  async remove(key: string): Promise<void> {
    plainObjectKey(key);
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
