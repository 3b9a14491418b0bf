import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Principal } from '@tessera/auth';
import { cephGatewayAvailable, ensureLocalPki, startCephGateway, type RunningCephGateway } from '@tessera/local-infra';
import {
  assumeRole,
  createObjectStoreClient,
  ensureBucket,
  destroyBucket,
  listIncompleteUploads,
  objectStoreConnection,
  objectStoreTransport,
  StsTenantCredentials,
  singleStoreRegions,
  storedSizeOf,
  stsTenantObjectStores,
  tenantSessionPolicy,
  TenantBucket,
  writePresignedObject,
  type ObjectStoreClient,
  type TenantObjectStores,
} from '@tessera/storage';
import { Client } from 'minio';
import { TenantScope, tenantBucketName, type TenantDirectory, type TenantKeyring, type TenantRecord } from '../src';

/**
 * Tenant bucket credentials against a store that enforces IAM/STS policies (Ceph RGW, see
 * packages/local-infra/src/ceph-gateway.ts). s3rver would pass every refusal below as a success.
 */
if (!cephGatewayAvailable()) {
  throw new Error('Ceph RGW is not installed: apt-get install -y radosgw ceph-mon ceph-osd libfaketime (.ci/run does)');
}

const prefix = 'tessera';
const dataKey = { dataKey: randomBytes(32), keyVersion: 1 };
const resolveKey = async () => dataKey.dataKey;

function record(id: string): TenantRecord {
  const now = new Date();
  return { id, displayName: id, region: 'us-east-1', tier: 'shared', status: 'ACTIVE', limits: {} as TenantRecord['limits'], limitOverrides: {}, createdAt: now, updatedAt: now };
}

function principal(tenantId: string): Principal {
  return { kind: 'user', subject: 'u', tenantId, roles: ['admin'], clientId: undefined, requestId: 'r', sourceIp: undefined };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    const value = await promise;
    if (value && typeof (value as NodeJS.ReadableStream).resume === 'function') (value as NodeJS.ReadableStream).resume();
    return 'OK';
  } catch (error) {
    return String((error as { code?: string }).code ?? (error as Error).message);
  }
}

const ca = () => ensureLocalPki().ca;

async function drain(list: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of list) n += 1;
  return n;
}

describe('tenant bucket credentials (STS AssumeRole + session policy, on Ceph RGW)', () => {
  let rgw: RunningCephGateway;
  let credentials: StsTenantCredentials;
  let stores: TenantObjectStores;
  let scopeA: TenantScope;
  let scopeB: TenantScope;
  let baseClient: ObjectStoreClient;

  const scopeFor = (tenantId: string) =>
    new TenantScope(record(tenantId), principal(tenantId), {
      // The bucket is what these tests are about; the database side of the scope is never touched.
      db: undefined as unknown as DataSource,
      controlSchema: 'tessera_control',
      directory: undefined as unknown as TenantDirectory,
      keyring: undefined as unknown as TenantKeyring,
      objectStores: singleStoreRegions(stores, undefined),
      bucketPrefix: prefix,
    });

  beforeAll(async () => {
    const pki = ensureLocalPki();
    // RGW listens with TLS only (the local CA's `s3` certificate); every client below trusts that CA.
    rgw = await startCephGateway({ bucketPrefix: prefix, controllableClock: true, tls: { caFile: pki.caFile, ...pki.files('s3') } });
    baseClient = createObjectStoreClient({ endpoint: rgw.endpoint, ...rgw.service, defaultRegion: rgw.region, tlsCaFile: rgw.tlsCaFile });
    credentials = new StsTenantCredentials({
      stsEndpoint: rgw.endpoint,
      region: rgw.region,
      baseCredentials: rgw.service,
      roleArn: rgw.roleArn,
      durationSeconds: 900,
      bucketName: (tenantId) => tenantBucketName(prefix, tenantId),
      tlsCa: pki.ca,
    });
    stores = stsTenantObjectStores({ endpoint: rgw.endpoint, tlsCaFile: rgw.tlsCaFile, credentials });
    // Provisioning's path: each bucket created with credentials scoped to that bucket alone.
    for (const tenantId of ['acme', 'globex']) await ensureBucket(stores.forBucketLifecycle(tenantId), tenantBucketName(prefix, tenantId), 'us-east-1');
    scopeA = scopeFor('acme');
    scopeB = scopeFor('globex');
    await scopeB.bucket.putEncryptedBuffer('datasets/b1/data', Buffer.from('globex secret'), dataKey);
  }, 90_000);
  afterAll(async () => rgw?.close());

  it('a tenant scope reads and writes its own bucket with its scoped credentials', async () => {
    await scopeA.bucket.putEncryptedBuffer('datasets/a1/data', Buffer.from('acme data'), dataKey);
    expect((await scopeA.bucket.getDecryptedBuffer('datasets/a1/data', resolveKey)).toString()).toBe('acme data');
    expect(await scopeA.bucket.listKeys()).toEqual(['datasets/a1/data']);
    expect(await scopeA.bucket.exists('datasets/a1/data')).toBe(true);
    await scopeA.bucket.remove('datasets/a1/data');
    expect(await scopeA.bucket.exists('datasets/a1/data')).toBe(false);
  });

  it('a presigned PUT signed for a length (session credentials) takes that length only', async () => {
    const body = Buffer.from('exactly this');
    const access = await scopeA.bucket.openForWriting('datasets/a2/out', dataKey, { storedSize: storedSizeOf(body.length) });
    expect(new URL(access.url).searchParams.get('X-Amz-Security-Token')).toBeTruthy();
    const extraCa = ca();
    expect(await codeOf(writePresignedObject(access, Buffer.alloc(64 * 1024, 1), { extraCa }))).toBe('FORBIDDEN');
    expect(await codeOf(writePresignedObject(access, body, { extraCa }))).toBe('OK');
    expect((await scopeA.bucket.getDecryptedBuffer('datasets/a2/out', resolveKey)).toString()).toBe('exactly this');
    await scopeA.bucket.remove('datasets/a2/out');
  });

  it("tenant A's credentials are refused on B's bucket: list, get, head, put, delete", async () => {
    // What a bug that builds B's bucket name inside A's request would reach: nothing.
    const misdirected = new TenantBucket(stores.forTenant('acme'), 'globex', tenantBucketName(prefix, 'globex'));
    expect(await codeOf(misdirected.listKeys())).toBe('AccessDenied');
    expect(await codeOf(misdirected.getDecryptedBuffer('datasets/b1/data', resolveKey))).toBe('AccessDenied');
    expect(await codeOf(misdirected.exists('datasets/b1/data'))).toBe('AccessDenied');
    expect(await codeOf(misdirected.putEncryptedBuffer('datasets/evil/data', Buffer.from('x'), dataKey))).toBe('AccessDenied');
    expect(await codeOf(misdirected.remove('datasets/b1/data'))).toBe('AccessDenied');

    const aClient = stores.forTenant('acme');
    expect(await codeOf(drain(aClient.listObjectsV2('tessera-globex', '', true)))).toBe('AccessDenied');
    expect(await codeOf(aClient.getObject('tessera-globex', 'datasets/b1/data'))).toBe('AccessDenied');
    expect(await codeOf(aClient.listBuckets())).toBe('AccessDenied');

    // B's object is untouched and B still reaches it.
    expect((await scopeB.bucket.getDecryptedBuffer('datasets/b1/data', resolveKey)).toString()).toBe('globex secret');
    expect(await scopeB.bucket.listKeys()).toEqual(['datasets/b1/data']);
  });

  it('request-path credentials cannot create or delete buckets; lifecycle credentials only their own', async () => {
    expect(await codeOf(stores.forTenant('acme').removeBucket('tessera-acme'))).toBe('AccessDenied');
    expect(await codeOf(stores.forTenant('acme').makeBucket('tessera-acme-2', 'us-east-1'))).toBe('AccessDenied');
    expect(await codeOf(stores.forBucketLifecycle('acme').makeBucket('tessera-initech', 'us-east-1'))).toBe('AccessDenied');
    expect(await codeOf(destroyBucket(stores.forBucketLifecycle('acme'), 'tessera-globex'))).toBe('AccessDenied');
    expect(await scopeB.bucket.listKeys()).toEqual(['datasets/b1/data']);
  });

  it("lifecycle credentials list and abort their own bucket's incomplete uploads, not another's", async () => {
    const ownB = stores.forBucketLifecycle('globex');
    const uploadId = await ownB.initiateNewMultipartUpload('tessera-globex', 'datasets/b2/data', {});
    await ownB.uploadPart({ bucketName: 'tessera-globex', objectName: 'datasets/b2/data', uploadID: uploadId, partNumber: 1, headers: {} }, Buffer.from('globex part'));
    const lifecycleA = stores.forBucketLifecycle('acme');
    expect(await codeOf(listIncompleteUploads(lifecycleA, 'tessera-globex'))).toBe('AccessDenied');
    expect(await codeOf(lifecycleA.abortMultipartUpload('tessera-globex', 'datasets/b2/data', uploadId))).toBe('AccessDenied');
    expect(await listIncompleteUploads(ownB, 'tessera-globex')).toEqual([{ key: 'datasets/b2/data', uploadId, size: Buffer.byteLength('globex part') }]);
    await ownB.abortMultipartUpload('tessera-globex', 'datasets/b2/data', uploadId);
    expect(await listIncompleteUploads(ownB, 'tessera-globex')).toEqual([]);
  });

  it("the service's base credentials reach no tenant data", async () => {
    expect(await codeOf(drain(baseClient.listObjectsV2('tessera-globex', '', true)))).toBe('AccessDenied');
    expect(await codeOf(baseClient.getObject('tessera-globex', 'datasets/b1/data'))).toBe('AccessDenied');
    expect(await codeOf(baseClient.putObject('tessera-globex', 'x', Buffer.from('x')))).toBe('AccessDenied');
    expect(await codeOf(baseClient.removeObject('tessera-globex', 'datasets/b1/data'))).toBe('AccessDenied');
    // ...but they may assume the role (that is their whole job).
    expect((await credentials.credentialsFor('globex')).sessionToken).toBeTruthy();
  });

  it('a session policy cannot be widened by asking for more: the role caps it', async () => {
    const wide = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::*'] }] });
    const session = await assumeRole({ tlsCa: ca(), endpoint: rgw.endpoint, region: rgw.region, baseCredentials: rgw.service, roleArn: rgw.roleArn, roleSessionName: 'tessera-wide', policy: wide, durationSeconds: 900 });
    const client = new Client({ ...objectStoreConnection(rgw.endpoint), ...objectStoreTransport(rgw), accessKey: session.accessKey, secretKey: session.secretKey, sessionToken: session.sessionToken, region: rgw.region });
    await ensureBucket(createObjectStoreClient({ endpoint: rgw.endpoint, ...rgw.admin, defaultRegion: rgw.region, tlsCaFile: rgw.tlsCaFile }), 'outside-tessera', 'us-east-1');
    expect(await codeOf(drain(client.listObjectsV2('outside-tessera', '', true)))).toBe('AccessDenied');
  });

  it('expired credentials are refused; fresh ones from the same role work', async () => {
    // The session is issued while the store's clock is 10 s behind: its 900 s run out at real +890 s.
    // Moved to +895 s the store is then 5 s past the expiry (no real time has to pass), and still
    // inside SigV4's 15-minute skew for a request signed now.
    rgw.setClockOffsetSeconds(-10);
    try {
      const session = await assumeRole({
        tlsCa: ca(),
        endpoint: rgw.endpoint,
        region: rgw.region,
        baseCredentials: rgw.service,
        roleArn: rgw.roleArn,
        roleSessionName: 'tessera-acme',
        policy: tenantSessionPolicy('tessera-acme', 'objects'),
        durationSeconds: 900,
      });
      const client = new Client({ ...objectStoreConnection(rgw.endpoint), ...objectStoreTransport(rgw), accessKey: session.accessKey, secretKey: session.secretKey, sessionToken: session.sessionToken, region: rgw.region });
      expect(await codeOf(drain(client.listObjectsV2('tessera-acme', '', true)))).toBe('OK');
      rgw.setClockOffsetSeconds(895);
      const refused = await codeOf(drain(client.listObjectsV2('tessera-acme', '', true)));
      expect(refused).not.toBe('OK');
      expect(['AccessDenied', 'ExpiredToken', 'InvalidAccessKeyId']).toContain(refused);
      const fresh = await assumeRole({ tlsCa: ca(), endpoint: rgw.endpoint, region: rgw.region, baseCredentials: rgw.service, roleArn: rgw.roleArn, roleSessionName: 'tessera-acme', policy: tenantSessionPolicy('tessera-acme', 'objects'), durationSeconds: 900 });
      const freshClient = new Client({ ...objectStoreConnection(rgw.endpoint), ...objectStoreTransport(rgw), accessKey: fresh.accessKey, secretKey: fresh.secretKey, sessionToken: fresh.sessionToken, region: rgw.region });
      expect(await codeOf(drain(freshClient.listObjectsV2('tessera-acme', '', true)))).toBe('OK');
    } finally {
      rgw.setClockOffsetSeconds(0);
    }
  }, 30_000);
});
