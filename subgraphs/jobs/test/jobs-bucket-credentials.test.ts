import { cephGatewayAvailable, ensureLocalPki, startCephGateway, type RunningCephGateway } from '@tessera/local-infra';
import type { Principal } from '@tessera/auth';
import { Client } from 'minio';
import type { Credentials } from 'minio/dist/main/Credentials.js';
import { objectStoreConnection, readPresignedObjectBuffer } from '@tessera/storage';
import { FamilyKeys } from '@tessera/service-kit';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { submitProfile, uploadDataset, waitForStatus, type JobView } from './job-support';

/**
 * The platform with OBJECT_STORE_CREDENTIALS=sts against Ceph RGW (which enforces the policies and
 * checks SigV4 signatures, unlike s3rver): a worker process, holding no object-store key at all,
 * reads the tenant's dataset through the presigned URL the datasets service signed with the
 * tenant's session; such a URL reaches that one object and nothing in another tenant's bucket.
 */
if (!cephGatewayAvailable()) {
  throw new Error('Ceph RGW is not installed: apt-get install -y radosgw ceph-mon ceph-osd libfaketime (.ci/run does)');
}

describe('jobs: a worker reads tenant objects with per-tenant credentials (STS, Ceph RGW)', () => {
  let rgw: RunningCephGateway;
  let stack: TestStack;
  let tenant: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    const pki = ensureLocalPki();
    rgw = await startCephGateway({ bucketPrefix: 'tessera', tls: { caFile: pki.caFile, ...pki.files('s3') } });
    stack = await startTestStack({
      objectStore: { endpoint: rgw.endpoint, ...rgw.service, credentials: { mode: 'sts', stsEndpoint: rgw.endpoint, roleArn: rgw.roleArn, sessionSeconds: 900 } },
    });
    // Provisioned while the worker starts.
    [tenant, other] = await Promise.all([stack.createTenant({ limits: { costBurst: 60_000 } }), stack.createTenant({ limits: { costBurst: 60_000 } }), stack.workers.start()]);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await rgw?.close();
  });

  it('PROFILE succeeds in the worker process', async () => {
    const scientist = await tenant.token('data_scientist');
    const { versionId } = await uploadDataset(stack, scientist, 'scoped', 'n,s\n1,a\n2,b\n3,a\n');
    const submitted = expectNoErrors(await stack.query<{ submitProfileJob: JobView }>(scientist, submitProfile, { input: { datasetVersionId: versionId } })).submitProfileJob;
    const done = await waitForStatus(stack, scientist, submitted.id, ['SUCCEEDED', 'FAILED']);
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ status: 'SUCCEEDED' });
    expect(done.result!.profile!.rowCount).toBe(3);
  });

  it("a presigned URL opens only its own object: re-pointed at another tenant's object it fails its signature, and the tenant's session cannot sign one for another bucket", async () => {
    const datasets = stack.platform.runtimes.datasets;
    const [mine, theirs] = await Promise.all([
      tenant.token('data_scientist').then((token) => uploadDataset(stack, token, 'mine', 'k,v\n1,2\n')),
      other.token('data_scientist').then((token) => uploadDataset(stack, token, 'theirs', 'k,v\n3,4\n')),
    ]);
    const keyOf = async (t: TestTenant, versionId: string) =>
      ((await stack.platform.runtime.db.query(`SELECT object_key FROM \`${t.schema}\`.dataset_versions WHERE id = ?`, [versionId])) as Array<{ object_key: string }>)[0]!.object_key;
    const [mineKey, theirsKey] = [await keyOf(tenant, mine.versionId), await keyOf(other, theirs.versionId)];
    const actor: Principal = { kind: 'user', subject: 'rgw-test', tenantId: tenant.id, roles: ['viewer'], clientId: undefined, requestId: 'rgw-test', sourceIp: undefined };
    const scope = await datasets.scopes.forPrincipal(actor);
    const mineDataset = ((await stack.platform.runtime.db.query(`SELECT dataset_id FROM \`${tenant.schema}\`.dataset_versions WHERE id = ?`, [mine.versionId])) as Array<{ dataset_id: string }>)[0]!.dataset_id;
    // The object is under its dataset's own key (wrapped by the tenant's data key).
    const access = await scope.bucket.openForReading(mineKey, new FamilyKeys(scope, { table: 'dataset_keys', idColumn: 'dataset_id' }).resolver(mineDataset));
    expect(access.url).toContain('X-Amz-Security-Token'); // signed with the tenant's session, not a long-lived key
    expect((await readPresignedObjectBuffer(access)).toString('utf8')).toBe('k,v\n1,2\n');

    const repointed = { ...access, url: access.url.replace(`/${tenant.bucket}/${mineKey}`, `/${other.bucket}/${theirsKey}`) };
    expect(repointed.url).not.toBe(access.url);
    await expect(readPresignedObjectBuffer(repointed)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // Correctly signed, but with A's session credentials for B's bucket: the session policy refuses it.
    // (A client pinned to the region: the tenant's own client would already be refused the bucket's location.)
    const provider = (datasets.tenantObjectStores.forTenant(tenant.id) as unknown as { credentialsProvider: { getCredentials(): Promise<Credentials> } }).credentialsProvider;
    const session = await provider.getCredentials();
    const asA = new Client({ ...objectStoreConnection(rgw.endpoint), region: 'us-east-1', accessKey: session.getAccessKey(), secretKey: session.getSecretKey(), sessionToken: session.getSessionToken() });
    const signedForB = await asA.presignedGetObject(other.bucket, theirsKey, 60);
    expect(signedForB).toContain('X-Amz-Security-Token');
    await expect(readPresignedObjectBuffer({ ...access, url: signedForB })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('AccessDenied') });
  });
});
