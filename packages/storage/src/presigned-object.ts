import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptStream, createEncryptStream, encryptBuffer, encryptedSize } from '@tessera/crypto';
import { errors, isTesseraError } from '@tessera/errors';
import { decryptedStream } from './decrypted-stream';
import { exactLength } from './tenant-bucket';

/**
 * One object, handed by the service that owns it to a process that holds no object-store key and
 * no data key (the workers): where to GET it (a presigned URL) and the key of that object alone.
 * Keys travel base64; the associated data binds the ciphertext to its tenant and object key.
 */
export interface ObjectReadAccess {
  url: string;
  objectKey: string;
  associatedData: string;
  expiresAt: string;
}

/** One new object to write: where to PUT it and the seal (header and its object key) to encrypt it with, once. */
export interface ObjectWriteAccess {
  url: string;
  header: string;
  objectKey: string;
  keyVersion: number;
  associatedData: string;
  expiresAt: string;
}

/** Extra CAs to trust besides the public ones (the local CA of an S3 endpoint served over TLS). */
export interface PresignedFetchOptions {
  extraCa?: string | Buffer | undefined;
}

/**
 * The decrypted object as a stream; it errors (DATA_CORRUPTED) as soon as a chunk fails
 * authentication. Destroying it closes the response.
 */
export async function readPresignedObject(access: ObjectReadAccess, options: PresignedFetchOptions = {}): Promise<Readable> {
  const response = await send('GET', access.url, undefined, options);
  if ((response.statusCode ?? 0) !== 200) throw await failure(response, 'read');
  return decryptedStream(response, createDecryptStream({ objectKey: Buffer.from(access.objectKey, 'base64'), associatedData: access.associatedData }));
}

export async function readPresignedObjectBuffer(access: ObjectReadAccess, options: PresignedFetchOptions = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await readPresignedObject(access, options)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Encrypts `body` with the access's seal and PUTs it; returns the stored (encrypted) size. */
export async function writePresignedObject(access: ObjectWriteAccess, body: Buffer, options: PresignedFetchOptions = {}): Promise<{ storedSize: number; keyVersion: number }> {
  const sealed = await encryptBuffer(body, {
    seal: { header: Buffer.from(access.header, 'base64'), objectKey: Buffer.from(access.objectKey, 'base64') },
    associatedData: access.associatedData,
  });
  const response = await send('PUT', access.url, sealed, options);
  if ((response.statusCode ?? 0) !== 200) throw await failure(response, 'write');
  response.resume();
  return { storedSize: encryptedSize(body.length), keyVersion: access.keyVersion };
}

function send(method: 'GET' | 'PUT', url: string, body: Buffer | undefined, options: PresignedFetchOptions): Promise<IncomingMessage> {
  const { request, response } = open(method, url, body?.length, options);
  request.end(body);
  return response;
}

/**
 * Encrypts `source` (exactly `plainSize` bytes of plaintext) with the access's seal as it streams
 * and PUTs it with the object's exact Content-Length, so neither the plaintext nor the ciphertext is
 * ever whole in memory: at most one encryption chunk (64 KiB) and the socket's buffers. A source
 * that fails (its own error, or more or fewer bytes than declared) aborts the request, so the store
 * never completes the object; that error is the one thrown. Returns the stored (encrypted) size.
 */
export async function writePresignedObjectStream(
  access: ObjectWriteAccess,
  source: Readable | AsyncIterable<Buffer>,
  plainSize: number,
  options: PresignedFetchOptions = {},
): Promise<{ storedSize: number; keyVersion: number }> {
  const storedSize = encryptedSize(plainSize);
  const encrypt = createEncryptStream({
    seal: { header: Buffer.from(access.header, 'base64'), objectKey: Buffer.from(access.objectKey, 'base64') },
    associatedData: access.associatedData,
  });
  const { request, response } = open('PUT', access.url, storedSize, options);
  let answer: IncomingMessage | undefined;
  const answered = response.then((res) => (answer = res));
  answered.catch(() => undefined);
  try {
    await pipeline(source, exactLength(plainSize), encrypt, request);
  } catch (error) {
    request.destroy();
    // The store may have answered (and closed) before the body was through: its answer says why.
    if (answer && (answer.statusCode ?? 0) !== 200) throw await failure(answer, 'write');
    if (isTesseraError(error)) throw error;
    throw errors.unavailable('The object store is not reachable.', error);
  }
  const res = await answered;
  if ((res.statusCode ?? 0) !== 200) throw await failure(res, 'write');
  res.resume();
  return { storedSize, keyVersion: access.keyVersion };
}

/** A request whose body the caller writes (and ends); `response` settles with the store's answer. */
function open(method: 'GET' | 'PUT', url: string, contentLength: number | undefined, options: PresignedFetchOptions): { request: ClientRequest; response: Promise<IncomingMessage> } {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') throw errors.badInput(`not an object URL: ${target.protocol}`);
  const headers = contentLength !== undefined ? { 'content-length': String(contentLength), 'content-type': 'application/octet-stream' } : {};
  let request!: ClientRequest;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    request = (secure ? httpsRequest : httpRequest)(target, { method, headers, ...(secure && options.extraCa ? { ca: [...rootCertificates, String(options.extraCa)] } : {}) }, resolve);
    request.setTimeout(60_000, () => request.destroy(new Error('object store request timed out')));
    // The socket's words name the store's address: kept in the cause, out of the job's error a tenant reads.
    request.on('error', (error) => reject(errors.unavailable('The object store is not reachable.', error)));
  });
  return { request, response };
}

/**
 * An answer other than 200: the URL expired or was refused (403), the object is gone (404), or the
 * store is failing (5xx, transient).
 */
async function failure(response: IncomingMessage, what: 'read' | 'write'): Promise<Error> {
  const status = response.statusCode ?? 0;
  const text = await new Promise<string>((resolve) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (body = (body + chunk).slice(0, 2000)));
    response.on('end', () => resolve(body));
    response.on('error', () => resolve(body));
  });
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? String(status);
  if (status === 404) return errors.notFound('Object', code);
  if (status >= 500) return errors.unavailable(`The object store could not ${what} the object (${status} ${code}).`);
  return errors.forbidden(`The object store refused to ${what} the object (${status} ${code}).`);
}
