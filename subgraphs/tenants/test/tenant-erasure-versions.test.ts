/**
 * Erasure of a tenant whose bucket keeps object versions, against Ceph RGW (s3rver has no
 * versioning): an operator turned versioning on; objects were written, overwritten and deleted
 * (noncurrent versions and delete markers). The erasure removes every version and marker by its
 * version id under the tenant's bucket-lifecycle session, then the bucket; the receipt counts the
 * versions. The other tenant's versioned bucket keeps all of its versions.
 */
import { cephGatewayAvailable, ensureLocalPki, startCephGateway, type RunningCephGateway } from '@tessera/local-infra';
import { assumeRole, listObjectVersions, objectStoreConnection, objectStoreTransport, type ObjectStoreClient } from '@tessera/storage';
import { quoteIdentifier } from '@tessera/tenancy';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { Client } from 'minio';
import { verifyErasureReceiptJws, type ErasureReceiptPayload } from '../src/domain/erasure-receipt';
import { createErasureRunner, createProvisioner } from '../src/server';
import type { JWK } from 'jose';

if (!cephGatewayAvailable()) {
  throw new Error('Ceph RGW is not installed: apt-get install -y radosgw ceph-mon ceph-osd libfaketime (.ci/run does)');
}

let rgw: RunningCephGateway;
let stack: TestStack;
let a: TestTenant;
let b: TestTenant;

/**
 * The operator's client for one tenant bucket: a session of the tenant role that may also turn
 * versioning on and list versions (the platform's own sessions may not configure a bucket).
 */
async function operatorClient(bucket: string): Promise<ObjectStoreClient> {
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
  a = await stack.createTenant();
  b = await stack.createTenant();
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await rgw?.close();
});

describe('erasing a tenant whose bucket keeps versions (Ceph RGW)', () => {
  it('removes every version and delete marker, then the bucket; the other tenant keeps its versions', async () => {
    const clientA = await operatorClient(a.bucket);
    const clientB = await operatorClient(b.bucket);
    await versionedHistory(clientA, a.bucket);
    await versionedHistory(clientB, b.bucket);
    const adminA = await a.token('admin');

    const before = await listObjectVersions(clientA, a.bucket);
    expect(before.filter((v) => v.name === 'notes/kept.txt')).toHaveLength(2);
    expect(before.filter((v) => v.name === 'notes/removed.txt' && v.isDeleteMarker)).toHaveLength(1);
    expect(before.every((v) => v.versionId !== null && v.versionId !== '')).toBe(true);
    const bBefore = await listObjectVersions(clientB, b.bucket);

    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: { id: string } }>(adminA, `mutation($c: String!) { requestTenantErasure(confirm: $c) { id } }`, { c: a.id })).requestTenantErasure;
    const control = quoteIdentifier(stack.config.database.controlSchema);
    await stack.adminQuery(`UPDATE ${control}.tenant_erasures SET scheduled_for = ? WHERE id = ?`, [new Date(Date.now() - 1000), erasure.id]);
    const runtime = stack.platform.runtimes.tenants;
    const built = createErasureRunner(runtime, { audit: stack.platform.ports.audit }, createProvisioner(runtime, { regions: stack.config.regions }))!;
    try {
      expect(await built.runner.runDue()).toEqual([erasure.id]);
    } finally {
      await built.announcer.close();
    }

    // Nothing of A is left: no version, no marker, no bucket.
    expect(await listObjectVersions(clientA, a.bucket)).toEqual([]);
    expect(await clientA.bucketExists(a.bucket)).toBe(false);
    // B's history is whole.
    expect((await listObjectVersions(clientB, b.bucket)).map((v) => `${v.name}@${v.versionId}`).sort()).toEqual(bBefore.map((v) => `${v.name}@${v.versionId}`).sort());

    // The receipt counts every version and marker, and the current objects among them.
    const [row] = await stack.adminQuery<Array<{ receipt: string }>>(`SELECT receipt FROM ${control}.tenant_erasures WHERE id = ?`, [erasure.id]);
    const published = expectNoErrors(await stack.query<{ auditSigningKeys: Array<{ publicJwk: string }> }>(await b.token('admin'), `{ auditSigningKeys { publicJwk } }`)).auditSigningKeys;
    const verified = await verifyErasureReceiptJws(row!.receipt, published.map((key) => JSON.parse(key.publicJwk) as JWK));
    expect(verified.valid).toBe(true);
    const bucket = (verified as { payload: ErasureReceiptPayload }).payload.destroyed.buckets[0]!;
    expect(bucket).toMatchObject({ bucket: a.bucket, objectVersions: before.length, objects: before.filter((v) => v.isLatest && !v.isDeleteMarker).length });
    expect(bucket.objectVersions).toBeGreaterThan(bucket.objects);
  }, 180_000);
});
