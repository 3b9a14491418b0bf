/**
 * Erasure of a tenant with an interrupted multipart upload, against Ceph RGW (s3rver answers the
 * upload listing as empty). The upload's parts are tenant bytes that no object listing shows; the
 * erasure aborts the upload under the tenant's bucket-lifecycle session before it removes the bucket.
 *
 * RGW itself aborts the uploads of a bucket it deletes, so the state after a finished erasure looks
 * the same either way. What shows the erasure's own abort is a bucket the store refuses to delete:
 * an operator's bucket policy denies DeleteBucket on A's bucket for the first pass, which then fails
 * at the bucket step (as on a store that refuses a bucket with uploads in progress) — and by then A's
 * upload must already be gone. The other tenant's incomplete upload is untouched and still completes.
 *
 * And of a tenant whose bucket keeps object versions (s3rver has no versioning): an operator turned
 * versioning on; objects were written, overwritten and deleted (noncurrent versions and delete
 * markers). The erasure removes every version and marker by its version id under the tenant's
 * bucket-lifecycle session, then the bucket; the receipt counts the versions. The other tenant's
 * versioned bucket keeps all of its versions. Both need the same RGW and stack: one start serves them.
 */
import { cephGatewayAvailable, ensureLocalPki, startCephGateway, type RunningCephGateway } from '@tessera/local-infra';
import { assumeRole, listIncompleteUploads, listObjectVersions, objectStoreConnection, objectStoreTransport, type ObjectStoreClient } from '@tessera/storage';
import { quoteIdentifier } from '@tessera/tenancy';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import type { JWK } from 'jose';
import { Client } from 'minio';
import { verifyErasureReceiptJws, type ErasureReceiptPayload } from '../src/domain/erasure-receipt';
import { createErasureRunner, createProvisioner } from '../src/server';

if (!cephGatewayAvailable()) {
  throw new Error('Ceph RGW is not installed: apt-get install -y radosgw ceph-mon ceph-osd libfaketime (.ci/run does)');
}

let rgw: RunningCephGateway;
let stack: TestStack;
let a: TestTenant;
let b: TestTenant;
/** The versioned buckets' tenants: C is erased, D keeps its versions. */
let c: TestTenant;
let d: TestTenant;

const key = 'models/interrupted.onnx';
/** The runner's wait before its last Redis sweep: above the gateway's 250 ms rate-limit exchange; no rate-limit counter is looked at here. */
const settleMs = 300;
const part = Buffer.alloc(1024 * 1024, 7);

/** The operator's client for one tenant bucket: a session of the tenant role that may also list uploads and set the bucket's policy. */
async function operatorClient(bucket: string): Promise<ObjectStoreClient> {
  const arn = `arn:aws:s3:::${bucket}`;
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy'], Resource: [arn] },
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts'], Resource: [`${arn}/*`] },
    ],
  });
  const session = await assumeRole({ tlsCa: ensureLocalPki().ca, endpoint: rgw.endpoint, region: rgw.region, baseCredentials: rgw.service, roleArn: rgw.roleArn, roleSessionName: `operator-${bucket}`.slice(0, 64), policy, durationSeconds: 900 });
  return new Client({ ...objectStoreConnection(rgw.endpoint), ...objectStoreTransport(rgw), accessKey: session.accessKey, secretKey: session.secretKey, sessionToken: session.sessionToken, region: rgw.region }) as ObjectStoreClient;
}

/** A multipart upload with one part sent and never completed, as an interrupted upload leaves it. */
async function interruptedUpload(client: ObjectStoreClient, bucket: string): Promise<string> {
  const uploadId = await client.initiateNewMultipartUpload(bucket, key, {});
  await client.uploadPart({ bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: 1, headers: {} }, part);
  return uploadId;
}

/** The RADOS objects of the data pool that belong to an upload (its parts), seen past every S3 policy. */
async function storedPartsOf(uploadId: string): Promise<string[]> {
  return (await rgw.adminCommand('rados', '-p', 'default.rgw.buckets.data', 'ls')).split('\n').filter((name) => name.includes(uploadId));
}

/**
 * The operator's client for one tenant bucket: a session of the tenant role that may also turn
 * versioning on and list versions (the platform's own sessions may not configure a bucket).
 */
async function versioningClient(bucket: string): Promise<ObjectStoreClient> {
  const arn = `arn:aws:s3:::${bucket}`;
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketVersions', 's3:GetBucketVersioning', 's3:PutBucketVersioning'], Resource: [arn] },
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: [`${arn}/*`] },
    ],
  });
  const session = await assumeRole({ tlsCa: ensureLocalPki().ca, endpoint: rgw.endpoint, region: rgw.region, baseCredentials: rgw.service, roleArn: rgw.roleArn, roleSessionName: `operator-${bucket}`.slice(0, 64), policy, durationSeconds: 900 });
  return new Client({ ...objectStoreConnection(rgw.endpoint), ...objectStoreTransport(rgw), accessKey: session.accessKey, secretKey: session.secretKey, sessionToken: session.sessionToken, region: rgw.region }) as ObjectStoreClient;
}

/** Versioning on, then a history: written, overwritten, written and deleted (a delete marker). */
async function versionedHistory(client: ObjectStoreClient, bucket: string): Promise<void> {
  await client.setBucketVersioning(bucket, { Status: 'Enabled' });
  await client.putObject(bucket, 'notes/kept.txt', Buffer.from('first'));
  await client.putObject(bucket, 'notes/kept.txt', Buffer.from('second, longer'));
  await client.putObject(bucket, 'notes/removed.txt', Buffer.from('soon deleted'));
  await client.removeObject(bucket, 'notes/removed.txt');
}

beforeAll(async () => {
  const pki = ensureLocalPki();
  rgw = await startCephGateway({ bucketPrefix: 'tessera', tls: { caFile: pki.caFile, ...pki.files('s3') } });
  stack = await startTestStack({
    objectStore: { endpoint: rgw.endpoint, ...rgw.service, credentials: { mode: 'sts', stsEndpoint: rgw.endpoint, roleArn: rgw.roleArn, sessionSeconds: 900 } },
  });
  [a, b, c, d] = await Promise.all([stack.createTenant(), stack.createTenant(), stack.createTenant(), stack.createTenant()]);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await rgw?.close();
});

describe('erasing a tenant with an interrupted multipart upload (Ceph RGW)', () => {
  it('aborts the upload before the bucket goes; the parts are destroyed; the other tenant keeps its upload', async () => {
    const clientA = await operatorClient(a.bucket);
    const clientB = await operatorClient(b.bucket);
    const uploadA = await interruptedUpload(clientA, a.bucket);
    const uploadB = await interruptedUpload(clientB, b.bucket);
    await clientA.putObject(a.bucket, 'notes/current.txt', Buffer.from('a current object'));
    expect(await listIncompleteUploads(clientA, a.bucket)).toEqual([{ key, uploadId: uploadA, size: part.length }]);
    expect(await storedPartsOf(uploadA)).not.toEqual([]);

    // The store refuses to delete A's bucket for now.
    await clientA.setBucketPolicy(a.bucket, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: { AWS: ['*'] }, Action: ['s3:DeleteBucket'], Resource: [`arn:aws:s3:::${a.bucket}`] }] }));

    const adminA = await a.token('admin');
    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: { id: string } }>(adminA, `mutation($c: String!) { requestTenantErasure(confirm: $c) { id } }`, { c: a.id })).requestTenantErasure;
    const control = quoteIdentifier(stack.config.database.controlSchema);
    await stack.adminQuery(`UPDATE ${control}.tenant_erasures SET scheduled_for = ? WHERE id = ?`, [new Date(Date.now() - 1000), erasure.id]);
    const runtime = stack.platform.runtimes.tenants;
    const built = createErasureRunner(runtime, { audit: stack.platform.ports.audit, erasureRedisSettleMs: settleMs }, createProvisioner(runtime, { regions: stack.config.regions }))!;
    try {
      // First pass: the bucket step fails at the refused deletion — after A's objects and upload are gone.
      expect(await built.runner.runDue()).toEqual([]);
      expect(await clientA.bucketExists(a.bucket)).toBe(true);
      expect(await listIncompleteUploads(clientA, a.bucket)).toEqual([]);
      const objectsLeft: string[] = [];
      for await (const item of clientA.listObjectsV2(a.bucket, '', true)) if (item.name) objectsLeft.push(item.name);
      expect(objectsLeft).toEqual([]);

      // The refusal lifted, the next pass finishes.
      // minio reports RGW's answer to DeleteBucketPolicy as an error although the policy is gone: read back instead.
      await clientA.setBucketPolicy(a.bucket, '').catch(() => undefined);
      await expect(clientA.getBucketPolicy(a.bucket)).rejects.toMatchObject({ code: 'NoSuchBucketPolicy' });
      expect(await built.runner.runDue()).toEqual([erasure.id]);
    } finally {
      await built.announcer.close();
    }
    expect(await clientA.bucketExists(a.bucket)).toBe(false);

    // The signed receipt counts the aborted upload and its bytes next to the objects.
    const [row] = await stack.adminQuery<Array<{ receipt: string }>>(`SELECT receipt FROM ${control}.tenant_erasures WHERE id = ?`, [erasure.id]);
    const published = expectNoErrors(await stack.query<{ auditSigningKeys: Array<{ publicJwk: string }> }>(await b.token('admin'), `{ auditSigningKeys { publicJwk } }`)).auditSigningKeys;
    const verified = await verifyErasureReceiptJws(row!.receipt, published.map((jwk) => JSON.parse(jwk.publicJwk) as JWK));
    expect(verified.valid).toBe(true);
    expect((verified as { payload: ErasureReceiptPayload }).payload.destroyed.buckets).toEqual([
      expect.objectContaining({ bucket: a.bucket, objects: 1, incompleteUploads: 1, incompleteUploadBytes: part.length }),
    ]);

    // The aborted parts wait for RGW's garbage collector (2 h by default); run now, none of A's is left in RADOS.
    await rgw.adminCommand('radosgw-admin', 'gc', 'process', '--include-all');
    expect(await storedPartsOf(uploadA)).toEqual([]);

    // B's upload is untouched: still listed with its part, its bytes still stored, and it completes.
    expect(await storedPartsOf(uploadB)).not.toEqual([]);
    const uploadsB = [];
    for await (const upload of clientB.listIncompleteUploads(b.bucket, '', true)) uploadsB.push(upload);
    expect(uploadsB).toEqual([expect.objectContaining({ key, uploadId: uploadB, size: part.length })]);
    const { etag } = (await listPartsOf(clientB, b.bucket, uploadB))[0]!;
    await clientB.completeMultipartUpload(b.bucket, key, uploadB, [{ part: 1, etag }]);
    const chunks: Buffer[] = [];
    for await (const chunk of await clientB.getObject(b.bucket, key)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(part)).toBe(true);
  }, 240_000);
});

describe('erasing a tenant whose bucket keeps versions (Ceph RGW)', () => {
  it('removes every version and delete marker, then the bucket; the other tenant keeps its versions', async () => {
    const clientC = await versioningClient(c.bucket);
    const clientD = await versioningClient(d.bucket);
    await versionedHistory(clientC, c.bucket);
    await versionedHistory(clientD, d.bucket);
    const adminC = await c.token('admin');

    const before = await listObjectVersions(clientC, c.bucket);
    expect(before.filter((v) => v.name === 'notes/kept.txt')).toHaveLength(2);
    expect(before.filter((v) => v.name === 'notes/removed.txt' && v.isDeleteMarker)).toHaveLength(1);
    expect(before.every((v) => v.versionId !== null && v.versionId !== '')).toBe(true);
    const dBefore = await listObjectVersions(clientD, d.bucket);

    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: { id: string } }>(adminC, `mutation($c: String!) { requestTenantErasure(confirm: $c) { id } }`, { c: c.id })).requestTenantErasure;
    const control = quoteIdentifier(stack.config.database.controlSchema);
    await stack.adminQuery(`UPDATE ${control}.tenant_erasures SET scheduled_for = ? WHERE id = ?`, [new Date(Date.now() - 1000), erasure.id]);
    const runtime = stack.platform.runtimes.tenants;
    const built = createErasureRunner(runtime, { audit: stack.platform.ports.audit, erasureRedisSettleMs: settleMs }, createProvisioner(runtime, { regions: stack.config.regions }))!;
    try {
      expect(await built.runner.runDue()).toEqual([erasure.id]);
    } finally {
      await built.announcer.close();
    }

    // Nothing of C is left: no version, no marker, no bucket.
    expect(await listObjectVersions(clientC, c.bucket)).toEqual([]);
    expect(await clientC.bucketExists(c.bucket)).toBe(false);
    // D's history is whole.
    expect((await listObjectVersions(clientD, d.bucket)).map((v) => `${v.name}@${v.versionId}`).sort()).toEqual(dBefore.map((v) => `${v.name}@${v.versionId}`).sort());

    // The receipt counts every version and marker, and the current objects among them.
    const [row] = await stack.adminQuery<Array<{ receipt: string }>>(`SELECT receipt FROM ${control}.tenant_erasures WHERE id = ?`, [erasure.id]);
    const published = expectNoErrors(await stack.query<{ auditSigningKeys: Array<{ publicJwk: string }> }>(await d.token('admin'), `{ auditSigningKeys { publicJwk } }`)).auditSigningKeys;
    const verified = await verifyErasureReceiptJws(row!.receipt, published.map((key) => JSON.parse(key.publicJwk) as JWK));
    expect(verified.valid).toBe(true);
    const bucket = (verified as { payload: ErasureReceiptPayload }).payload.destroyed.buckets[0]!;
    expect(bucket).toMatchObject({ bucket: c.bucket, objectVersions: before.length, objects: before.filter((v) => v.isLatest && !v.isDeleteMarker).length });
    expect(bucket.objectVersions).toBeGreaterThan(bucket.objects);
  }, 180_000);
});

/** The parts of an upload (minio keeps its ListParts call protected). */
async function listPartsOf(client: ObjectStoreClient, bucket: string, uploadId: string): Promise<Array<{ part: number; etag: string }>> {
  return (client as unknown as { listParts(bucket: string, key: string, uploadId: string): Promise<Array<{ part: number; etag: string }>> }).listParts(bucket, key, uploadId);
}
