import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ensureLocalPki, startS3Server, type RunningS3Server } from '@tessera/local-infra';
import { createObjectStoreClient, ensureBucket, signRequest, type ObjectStoreClient } from '@tessera/storage';

/**
 * The in-process object store of `npm start` and the tests takes objects over the client's part
 * size (64 MiB), which the client stores as multipart uploads: a dataset up to the upload limit
 * (100 MiB by default) must be storable locally as it is on S3 or MinIO.
 */
describe('local object store: objects over the multipart threshold', () => {
  const storeKey = { accessKey: `local${randomBytes(4).toString('hex')}`, secretKey: randomBytes(16).toString('hex') };
  const bucketName = `tessera-big-${randomBytes(4).toString('hex')}`;
  let store: RunningS3Server;
  let client: ObjectStoreClient;

  beforeAll(async () => {
    const pki = ensureLocalPki();
    store = await startS3Server({ ...storeKey, tls: pki.identity('s3') });
    client = createObjectStoreClient({ endpoint: store.endpoint, ...storeKey, defaultRegion: 'us-east-1', tlsCaFile: pki.caFile });
    await ensureBucket(client, bucketName, 'us-east-1');
  });
  afterAll(() => store?.close());

  it('stores and returns a 70 MiB object streamed with its size, byte for byte', async () => {
    const chunk = randomBytes(1024 * 1024);
    const size = 70 * chunk.length;
    const sent = createHash('sha256');
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 70; i += 1) {
          const part = Buffer.from(chunk);
          part.writeUInt32BE(i, 0);
          sent.update(part);
          yield part;
        }
      })(),
    );
    await client.putObject(bucketName, 'datasets/big.bin', body, size);
    expect((await client.statObject(bucketName, 'datasets/big.bin')).size).toBe(size);
    const received = createHash('sha256');
    for await (const part of await client.getObject(bucketName, 'datasets/big.bin')) received.update(part as Buffer);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
    // Listing unfinished uploads of the bucket answers none (nothing is left in progress).
    expect(await client.listIncompleteUploads(bucketName, '', true).toArray()).toEqual([]);
  });
  it('replaces an object as S3 does: a read during a write gets the old bytes or the new ones, whole', async () => {
    const older = randomBytes(2 * 1024 * 1024);
    const newer = randomBytes(512 * 1024);
    await client.putObject(bucketName, 'datasets/replaced.bin', older, older.length);
    const read = async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of await client.getObject(bucketName, 'datasets/replaced.bin')) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    // Writes of the two versions in turn while reads run beside them.
    const writes = (async () => {
      for (let i = 0; i < 10; i += 1) {
        const body = i % 2 === 0 ? newer : older;
        await client.putObject(bucketName, 'datasets/replaced.bin', body, body.length);
      }
    })();
    const reads = await Promise.all(Array.from({ length: 20 }, () => read()));
    await writes;
    for (const bytes of reads) expect(bytes.equals(older) || bytes.equals(newer)).toBe(true);
  });
});

/**
 * s3rver checks only that a SigV4 request names a known access key id ("Signature version 4
 * calculation is unimplemented"): the id is in every presigned URL handed to a worker, so such a
 * URL re-pointed at another key or bucket, or a request signed with any secret, was served; and a
 * request with no signature at all was served too (every bucket listed, any object read, written or
 * deleted by anyone reaching the port). The local store verifies the signature itself, as S3 does.
 */
describe('local object store: SigV4 signatures are verified', () => {
  const storeKey = { accessKey: `local${randomBytes(4).toString('hex')}`, secretKey: randomBytes(16).toString('hex') };
  const bucketA = `tessera-siga-${randomBytes(4).toString('hex')}`;
  const bucketB = `tessera-sigb-${randomBytes(4).toString('hex')}`;
  let store: RunningS3Server;
  let client: ObjectStoreClient;
  let ca: string;

  const fetchStatus = async (url: string, method: 'GET' | 'PUT' | 'DELETE', body?: Buffer, headers: Record<string, string> = {}): Promise<number> => {
    const { request } = await import('node:https');
    return new Promise((resolve, reject) => {
      const req = request(new URL(url), { method, ca, headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...headers } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
  };

  beforeAll(async () => {
    const pki = ensureLocalPki();
    ca = pki.ca;
    store = await startS3Server({ ...storeKey, tls: pki.identity('s3') });
    client = createObjectStoreClient({ endpoint: store.endpoint, ...storeKey, defaultRegion: 'us-east-1', tlsCaFile: pki.caFile });
    await ensureBucket(client, bucketA, 'us-east-1');
    await ensureBucket(client, bucketB, 'us-east-1');
    await client.putObject(bucketA, 'datasets/a.csv', Buffer.from('a'), 1);
    await client.putObject(bucketB, 'datasets/b.csv', Buffer.from('b'), 1);
  });
  afterAll(() => store?.close());

  it('refuses a request signed with the right key id and a wrong secret', async () => {
    const forger = createObjectStoreClient({ endpoint: store.endpoint, accessKey: storeKey.accessKey, secretKey: 'not-the-secret', defaultRegion: 'us-east-1', tlsCaFile: ensureLocalPki().caFile });
    await expect(forger.statObject(bucketB, 'datasets/b.csv')).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    await expect(forger.removeObject(bucketB, 'datasets/b.csv')).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect((await client.statObject(bucketB, 'datasets/b.csv')).size).toBe(1);
  });

  it('refuses an anonymous request: no bucket listing, no read, no write, no delete', async () => {
    const base = store.endpoint;
    expect(await fetchStatus(`${base}/`, 'GET')).toBe(403);
    expect(await fetchStatus(`${base}/${bucketB}?list-type=2`, 'GET')).toBe(403);
    expect(await fetchStatus(`${base}/${bucketB}/datasets/b.csv`, 'GET')).toBe(403);
    expect(await fetchStatus(`${base}/${bucketB}/datasets/planted.csv`, 'PUT', Buffer.from('x'))).toBe(403);
    expect(await fetchStatus(`${base}/${bucketB}/datasets/b.csv`, 'DELETE')).toBe(403);
    expect((await client.statObject(bucketB, 'datasets/b.csv')).size).toBe(1);
    await expect(client.statObject(bucketB, 'datasets/planted.csv')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('serves a presigned URL as signed, and refuses it re-pointed at another key or bucket, another method, or expired', async () => {
    const url = await client.presignedGetObject(bucketA, 'datasets/a.csv', 60);
    expect(await fetchStatus(url, 'GET')).toBe(200);
    expect(await fetchStatus(url.replace(`/${bucketA}/datasets/a.csv`, `/${bucketB}/datasets/b.csv`), 'GET')).toBe(403);
    expect(await fetchStatus(url.replace('datasets/a.csv', 'datasets/other.csv'), 'GET')).toBe(403);
    expect(await fetchStatus(url, 'DELETE')).toBe(403);
    expect(await fetchStatus(url, 'PUT', Buffer.from('x'))).toBe(403);
    const old = await client.presignedUrl('GET', bucketA, 'datasets/a.csv', 1, {}, new Date(Date.now() - 10_000));
    expect(await fetchStatus(old, 'GET')).toBe(403);
    expect((await client.statObject(bucketB, 'datasets/b.csv')).size).toBe(1);
  });

  it('refuses a presigned request carrying x-amz-* headers the signature does not list: no server-side copy out of another bucket through a PUT URL', async () => {
    // A worker holds a presigned PUT for its own output key; S3 refuses unsigned x-amz-* headers (HeadersNotSigned).
    const put = await client.presignedPutObject(bucketB, 'datasets/out.bin', 60);
    expect(await fetchStatus(put, 'PUT', Buffer.alloc(0), { 'x-amz-copy-source': `/${bucketA}/datasets/a.csv` })).toBe(403);
    expect(await fetchStatus(put, 'PUT', Buffer.alloc(0), { 'X-Amz-Copy-Source': `${bucketA}/datasets/a.csv` })).toBe(403);
    await expect(client.statObject(bucketB, 'datasets/out.bin')).rejects.toMatchObject({ code: 'NotFound' });
    const get = await client.presignedGetObject(bucketA, 'datasets/a.csv', 60);
    expect(await fetchStatus(get, 'GET', undefined, { 'x-amz-request-payer': 'requester' })).toBe(403);
    // The URL itself still works as signed, and unsigned ordinary headers stay allowed.
    expect(await fetchStatus(put, 'PUT', Buffer.from('out'), { 'content-type': 'application/octet-stream' })).toBe(200);
    expect((await client.statObject(bucketB, 'datasets/out.bin')).size).toBe(3);
    expect(await fetchStatus(get, 'GET')).toBe(200);
  });

  it('refuses a presigned URL valid for more than 7 days, for a negative time, or dated in the future', async () => {
    const week = 7 * 24 * 3600;
    const refused = (status: number) => expect([400, 403]).toContain(status);
    expect(await fetchStatus(await client.presignedUrl('GET', bucketA, 'datasets/a.csv', week), 'GET')).toBe(200);
    // minio refuses to sign these itself: re-sign by hand with the same key.
    refused(await fetchStatus(presign(store.endpoint, storeKey, `/${bucketA}/datasets/a.csv`, { expires: week + 1 }), 'GET'));
    refused(await fetchStatus(presign(store.endpoint, storeKey, `/${bucketA}/datasets/a.csv`, { expires: 10 * 365 * 24 * 3600 }), 'GET'));
    refused(await fetchStatus(presign(store.endpoint, storeKey, `/${bucketA}/datasets/a.csv`, { expires: -1 }), 'GET'));
    refused(await fetchStatus(presign(store.endpoint, storeKey, `/${bucketA}/datasets/a.csv`, { expires: 60, at: new Date(Date.now() + 3600_000) }), 'GET'));
    expect(await fetchStatus(presign(store.endpoint, storeKey, `/${bucketA}/datasets/a.csv`, { expires: 60 }), 'GET')).toBe(200);
  });

  it('refuses a signature that does not cover the Host header: s3rver takes the bucket from a non-IP Host (virtual-host style)', async () => {
    // Signed over another header only: whoever holds it could send it with Host: <another bucket>.
    const url = presign(store.endpoint, storeKey, `/${bucketA}/datasets/a.csv`, { expires: 60, signedHeaders: { 'x-amz-date': '' } });
    expect(await fetchStatus(url, 'GET')).toBe(403);
    expect(await fetchStatus(presign(store.endpoint, storeKey, `/${bucketA}/datasets/a.csv`, { expires: 60 }), 'GET')).toBe(200);
  });

  it('refuses a header-signed request dated more than 15 minutes from now (a captured request is not replayable for ever)', async () => {
    const { request } = await import('node:https');
    const send = (at: Date) => {
      const url = new URL(`${store.endpoint}/${bucketA}/datasets/a.csv`);
      const headers = signRequest({ method: 'GET', url, headers: { 'x-amz-content-sha256': createHash('sha256').update('').digest('hex') }, body: '' }, storeKey, { region: 'us-east-1', service: 's3' }, at);
      return new Promise<number>((resolve, reject) => {
        const req = request(url, { method: 'GET', ca, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    };
    expect(await send(new Date())).toBe(200);
    expect(await send(new Date(Date.now() - 10 * 60_000))).toBe(200);
    expect(await send(new Date(Date.now() - 16 * 60_000))).toBe(403);
    expect(await send(new Date(Date.now() - 30 * 24 * 3600_000))).toBe(403);
    expect(await send(new Date(Date.now() + 16 * 60_000))).toBe(403);
  });
});

/** A SigV4 presigned GET signed by hand (host only unless told), for values the minio client will not sign. */
function presign(endpoint: string, key: { accessKey: string; secretKey: string }, path: string, options: { expires: number; at?: Date; signedHeaders?: Record<string, string> }): string {
  const { createHmac } = require('node:crypto') as typeof import('node:crypto');
  const at = options.at ?? new Date();
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = stamp.slice(0, 8);
  const signed = options.signedHeaders ?? { host: new URL(endpoint).host };
  const names = Object.keys(signed).sort();
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const query = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${key.accessKey}/${scope}`],
    ['X-Amz-Date', stamp],
    ['X-Amz-Expires', String(options.expires)],
    ['X-Amz-SignedHeaders', names.join(';')],
  ]
    .map(([k, v]) => `${encodeURIComponent(k!)}=${encodeURIComponent(v!)}`)
    .join('&');
  const canonical = ['GET', path, query, names.map((name) => `${name}:${signed[name]}\n`).join(''), names.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const hmac = (k: Buffer | string, d: string) => createHmac('sha256', k).update(d).digest();
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secretKey}`, day), 'us-east-1'), 's3'), 'aws4_request');
  return `${endpoint}${path}?${query}&X-Amz-Signature=${createHmac('sha256', signingKey).update(toSign).digest('hex')}`;
}
