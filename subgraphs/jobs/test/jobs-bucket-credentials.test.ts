import { cephGatewayAvailable, ensureLocalPki, startCephGateway, type RunningCephGateway } from '@tessera/local-infra';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { submitProfile, uploadDataset, waitForStatus, type JobView } from './job-support';

/**
 * A worker process with OBJECT_STORE_CREDENTIALS=sts against Ceph RGW (which enforces the
 * policies): it reads the tenant's dataset with a session scoped to that tenant's bucket, since the
 * base key it is given is denied every tenant bucket.
 */
if (!cephGatewayAvailable()) {
  throw new Error('Ceph RGW is not installed: apt-get install -y radosgw ceph-mon ceph-osd libfaketime (.ci/run does)');
}

describe('jobs: a worker reads tenant objects with per-tenant credentials (STS, Ceph RGW)', () => {
  let rgw: RunningCephGateway;
  let stack: TestStack;
  let tenant: TestTenant;

  beforeAll(async () => {
    const pki = ensureLocalPki();
    rgw = await startCephGateway({ bucketPrefix: 'tessera', tls: { caFile: pki.caFile, ...pki.files('s3') } });
    stack = await startTestStack({
      workers: 1,
      objectStore: { endpoint: rgw.endpoint, ...rgw.service, credentials: { mode: 'sts', stsEndpoint: rgw.endpoint, roleArn: rgw.roleArn, sessionSeconds: 900 } },
    });
    tenant = await stack.createTenant({ limits: { costBurst: 60_000 } });
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
});
