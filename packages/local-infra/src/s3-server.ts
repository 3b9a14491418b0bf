import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account';
import { checkSignature } from './s3-signature';

export interface S3ServerOptions {
  port?: number;
  /** Where objects are kept; a fresh temporary folder (removed on close) when absent. */
  directory?: string;
  accessKey: string;
  secretKey: string;
  /** The server certificate and key (PEM): the store speaks HTTPS only (the local CA's `s3` leaf). */
  tls: { cert: string; key: string };
}

export interface RunningS3Server {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * An S3-compatible server in this process, for local runs and tests (docker-compose runs real
 * MinIO). s3rver speaks the S3 REST API with SigV4 auth, so the platform's `minio` client code
 * is exactly what runs against AWS. Its well-known default key pair is revoked and replaced by
 * the generated credentials, and every SigV4 signature is computed and checked here (s3rver checks
 * only the key id), so a request signed with anything else is refused. Served over HTTPS
 * only, like every other local hop.
 */
export async function startS3Server(options: S3ServerOptions): Promise<RunningS3Server> {
  const temporary = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'tessera-s3-'));
  AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
  new AWSAccount(100000000001, 'tessera-local').createKeyPair(options.accessKey, options.secretKey);
  // s3rver serves HTTPS itself when given a key and certificate; there is no plaintext listener.
  const server = new S3rver({ port: options.port ?? 0, address: '127.0.0.1', directory, silent: true, resetOnClose: false, key: options.tls.key, cert: options.tls.cert });
  serializeObjectAccess((server as unknown as { store: ObjectStoreInternals }).store);
  const { port } = await server.run();
  answerMultipartListings(server.httpServer!);
  verifySignatures(server.httpServer!, new Map([[options.accessKey, options.secretKey]]));
  return {
    endpoint: `https://127.0.0.1:${port}`,
    close: async () => {
      server.httpServer?.closeAllConnections();
      await server.close().catch(() => undefined);
      if (temporary) rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The minio client stores an object over its part size (64 MiB) as a multipart upload, and first
 * asks the bucket for an unfinished upload of the same key to resume (ListMultipartUploads), which
 * s3rver does not implement (NotImplemented: every such upload failed). s3rver does the multipart
 * upload itself; the listing is answered here as S3 answers a bucket with none in progress. A
 * local test store only: it lists nothing, so it needs no signature check.
 */
function answerMultipartListings(http: Server): void {
  const s3 = http.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const [path = '', query = ''] = (req.url ?? '').split('?');
    const bucket = /^\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/?$/.exec(path)?.[1];
    if (req.method === 'GET' && bucket && query.split('&').some((part) => part === 'uploads' || part.startsWith('uploads='))) {
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>' +
        `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${bucket}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
        '<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>';
      res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    for (const listener of s3) listener.call(http, req, res);
  });
}

/**
 * Computes every SigV4 signature before s3rver sees the request (see s3-signature.ts: s3rver itself
 * checks only the key id) and answers a mismatch, an unknown key id (this store's own key alone:
 * s3rver's registry is shared by every store of the process), an expired URL or an anonymous request
 * as S3 does (403). V2 signatures, which s3rver does verify, go on as before.
 */
function verifySignatures(http: Server, keys: ReadonlyMap<string, string>): void {
  const inner = http.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const check = checkSignature(req, keys);
    if (check.outcome === 'refused') {
      const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${check.code}</Code><Message>${check.message}</Message></Error>`;
      // The body (an upload's bytes) is not read: the connection closes after the answer.
      res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
      req.resume();
      return;
    }
    for (const listener of inner) listener.call(http, req, res);
  });
}

/** The parts of s3rver's filesystem store that read or replace an object's bytes. */
interface ObjectStoreInternals {
  getObject(bucket: string, key: string, options?: unknown): Promise<{ content?: NodeJS.ReadableStream | null } | null>;
  putObject(object: { bucket: string; key: string; content?: unknown }): Promise<unknown>;
  copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, ...rest: unknown[]): Promise<unknown>;
  deleteObject(bucket: string, key: string): Promise<unknown>;
}

/**
 * Rejects when an upload's body closes before its end (the client went away mid-PUT). s3rver pipes
 * the request into the file with `.pipe`, which passes on no such close: its write never settled and
 * held the object's turn, so every later call on that key (the uploader's own clean-up) waited
 * forever. S3 drops such an upload; here the call fails, the turn is given back, and the partial file
 * stays until it is deleted. Never settles for a body that is not a stream, or one that ends.
 */
function cutShort(content: unknown): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (!(content instanceof Readable)) return;
    const check = () => {
      if (!content.readableEnded) reject(new Error('The upload was cut short before its end.'));
    };
    if (content.destroyed) check();
    else content.once('close', check);
  });
}

/**
 * S3 replaces an object atomically: a read gets the old bytes or the new ones. s3rver rewrites the
 * file in place and its length afterwards, so a read during a write (a re-encryption run replacing
 * objects while a key status reads their headers) got fewer bytes than its Content-Length and a
 * reset connection, which the platform rightly reports as SERVICE_UNAVAILABLE. Here each object's
 * reads and writes take turns: a read holds its turn until its body has been sent.
 */
function serializeObjectAccess(store: ObjectStoreInternals): void {
  const tails = new Map<string, Promise<void>>();
  const turn = async (bucket: string, key: string): Promise<() => void> => {
    const name = `${bucket}/${key}`;
    const before = tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    tails.set(name, tail);
    await before;
    return () => {
      release();
      if (tails.get(name) === tail) tails.delete(name);
    };
  };
  const getObject = store.getObject.bind(store);
  const putObject = store.putObject.bind(store);
  const copyObject = store.copyObject.bind(store);
  const deleteObject = store.deleteObject.bind(store);
  store.getObject = async (bucket, key, options) => {
    const done = await turn(bucket, key);
    try {
      const object = await getObject(bucket, key, options);
      const content = object?.content;
      if (!content) done();
      else content.once('close', done);
      return object;
    } catch (error) {
      done();
      throw error;
    }
  };
  const exclusive =
    <A extends unknown[]>(bucketAt: number, keyAt: number, write: (...args: A) => Promise<unknown>) =>
    async (...args: A) => {
      const done = await turn(String(args[bucketAt]), String(args[keyAt]));
      try {
        return await write(...args);
      } finally {
        done();
      }
    };
  store.putObject = async (object) => {
    const done = await turn(object.bucket, object.key);
    try {
      const cut = cutShort(object.content);
      cut.catch(() => undefined);
      return await Promise.race([putObject(object), cut]);
    } finally {
      done();
    }
  };
  store.copyObject = exclusive(2, 3, copyObject);
  store.deleteObject = exclusive(0, 1, deleteObject);
}
