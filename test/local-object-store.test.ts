import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ensureLocalPki, startS3Server, type RunningS3Server } from '@tessera/local-infra';
import { createObjectStoreClient, ensureBucket, type ObjectStoreClient } from '@tessera/storage';

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
