import { randomBytes } from 'node:crypto';
import { globalAgent, type Agent } from 'node:https';
import type { Readable } from 'node:stream';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { HEADER_SIZE } from '@tessera/crypto';
import { isDependencyUnavailable, isTesseraError } from '@tessera/errors';
import { ensureLocalPki, startS3Server, type LocalPki, type RunningS3Server } from '@tessera/local-infra';
import { createObjectStoreClient, ensureBucket, objectStoreTransport, readPresignedObject, readPresignedObjectBuffer, TenantBucket, type ObjectStoreClient } from '@tessera/storage';

/**
 * Reading encrypted objects from a real (in-process, TLS) object store: a reader that stops early
 * releases the store's response and its socket, and an object altered in the store is a typed
 * DATA_CORRUPTED error for whoever reads it, through the service's bucket or a presigned URL.
 */
describe('object store reads: early stops and damaged objects', () => {
  const tenantId = 'reads-tenant';
  const bucketName = `tessera-reads-${randomBytes(4).toString('hex')}`;
  const storeKey = { accessKey: `reads${randomBytes(4).toString('hex')}`, secretKey: randomBytes(16).toString('hex') };
  const dataKey = randomBytes(32);
  const resolveKey = async () => dataKey;
  // Far more than the socket buffers hold: a reader that stops after one chunk leaves most of it unsent.
  const content = randomBytes(4 * 1024 * 1024);
  let pki: LocalPki;
  let store: RunningS3Server;
  let client: ObjectStoreClient;
  let agent: Agent;
  /** The store's responses to the bucket's GETs, as the bucket got them. */
  const responses: Readable[] = [];
  let bucket: TenantBucket;

  beforeAll(async () => {
    pki = ensureLocalPki();
    store = await startS3Server({ ...storeKey, tls: pki.identity('s3') });
    const settings = { endpoint: store.endpoint, ...storeKey, defaultRegion: 'us-east-1', tlsCaFile: pki.caFile };
    client = createObjectStoreClient(settings);
    agent = objectStoreTransport(settings).transportAgent as Agent;
    await ensureBucket(client, bucketName, 'us-east-1');
    // The real client; only its GETs are noted, to look at the response the bucket was given.
    const observed = Object.create(client) as ObjectStoreClient;
    observed.getObject = async (...args: Parameters<ObjectStoreClient['getObject']>) => {
      const response = await client.getObject(...args);
      responses.push(response);
      return response;
    };
    bucket = new TenantBucket(observed, tenantId, bucketName);
    await bucket.putEncryptedBuffer('big', content, { dataKey, keyVersion: 1 });
  });
  afterAll(() => store?.close());

  const busySockets = (of: Agent) => Object.values(of.sockets).reduce((count, list) => count + (list?.length ?? 0), 0);

  /** Reads one chunk, then destroys the stream as a reader that has seen enough does. */
  async function readOneChunkAndStop(stream: Readable): Promise<void> {
    const [first] = (await once(stream, 'data')) as [Buffer];
    expect(first.equals(content.subarray(0, first.length))).toBe(true);
    stream.destroy();
  }

  async function eventually(check: () => boolean): Promise<void> {
    for (let i = 0; i < 100 && !check(); i++) await sleep(20);
  }

  it('destroying the stream from getDecrypted destroys the store response and frees its socket', async () => {
    expect(busySockets(agent)).toBe(0);
    const stream = await bucket.getDecrypted('big', resolveKey);
    const response = responses.at(-1)!;
    expect(busySockets(agent)).toBe(1);
    await readOneChunkAndStop(stream);
    await eventually(() => response.destroyed && busySockets(agent) === 0);
    expect(response.destroyed).toBe(true);
    expect(busySockets(agent)).toBe(0);
    // The client still works: the next read is whole.
    expect((await bucket.getDecryptedBuffer('big', resolveKey)).equals(content)).toBe(true);
  });

  it('a reader that leaves its loop early frees the socket too', async () => {
    const stream = await bucket.getDecrypted('big', resolveKey);
    const response = responses.at(-1)!;
    for await (const chunk of stream) {
      expect((chunk as Buffer).length).toBeGreaterThan(0);
      break;
    }
    await eventually(() => response.destroyed && busySockets(agent) === 0);
    expect(response.destroyed).toBe(true);
    expect(busySockets(agent)).toBe(0);
  });

  it('destroying the stream from a presigned read closes its connection', async () => {
    const access = await bucket.openForReading('big', resolveKey);
    const before = busySockets(globalAgent);
    const stream = await readPresignedObject(access, { extraCa: pki.ca });
    expect(busySockets(globalAgent)).toBe(before + 1);
    await readOneChunkAndStop(stream);
    await eventually(() => busySockets(globalAgent) === before);
    expect(busySockets(globalAgent)).toBe(before);
    expect((await readPresignedObjectBuffer(access, { extraCa: pki.ca })).equals(content)).toBe(true);
  });

  it('an object altered or cut short in the store is DATA_CORRUPTED for every reader, after a verified prefix at most', async () => {
    const sealed = await readStored('big');
    const altered = Buffer.from(sealed);
    altered[HEADER_SIZE + 3 * 65_536 + 7]! ^= 0x80;
    await client.putObject(bucketName, 'altered', altered, altered.length);
    const cut = sealed.subarray(0, sealed.length - 1);
    await client.putObject(bucketName, 'cut', cut, cut.length);

    for (const key of ['altered', 'cut']) {
      // Streamed: some verified bytes, then the error, on the stream the reader holds.
      const received: Buffer[] = [];
      const failure = await (async () => {
        try {
          for await (const chunk of await bucket.getDecrypted(key, resolveKey)) received.push(chunk as Buffer);
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(isTesseraError(failure) && failure.code).toBe('DATA_CORRUPTED');
      const prefix = Buffer.concat(received);
      expect(prefix.length).toBeLessThan(content.length);
      expect(prefix.equals(content.subarray(0, prefix.length))).toBe(true);
      await expect(bucket.getDecryptedBuffer(key, resolveKey)).rejects.toMatchObject({ code: 'DATA_CORRUPTED', extensions: { code: 'DATA_CORRUPTED' } });
      await expect(readPresignedObjectBuffer(await bucket.openForReading(key, resolveKey), { extraCa: pki.ca })).rejects.toMatchObject({ code: 'DATA_CORRUPTED' });
    }
  });

  it('a key lookup that fails reaches the reader as that error', async () => {
    const lookupFailed = new Error('no key for this object');
    await expect(bucket.getDecryptedBuffer('big', async () => Promise.reject(lookupFailed))).rejects.toBe(lookupFailed);
    const response = responses.at(-1)!;
    await eventually(() => response.destroyed);
    expect(response.destroyed).toBe(true);
  });

  // Last: the store is gone afterwards.
  it('a store that drops the connection mid-read errors the stream with a retryable (dependency) error', async () => {
    const stream = await bucket.getDecrypted('big', resolveKey);
    const received: Buffer[] = [];
    const failure = await (async () => {
      try {
        for await (const chunk of stream) {
          received.push(chunk as Buffer);
          if (received.length === 1) await store.close();
        }
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(failure).toBeDefined();
    expect(isDependencyUnavailable(failure)).toBe(true);
    expect(Buffer.concat(received).length).toBeLessThan(content.length);
    expect(responses.at(-1)!.destroyed).toBe(true);
  });

  async function readStored(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await client.getObject(bucketName, key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
});
