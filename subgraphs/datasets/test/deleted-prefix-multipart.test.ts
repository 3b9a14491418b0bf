import { randomUUID } from 'node:crypto';
import { cephGatewayAvailable, ensureLocalPki, startCephGateway, type RunningCephGateway } from '@tessera/local-infra';
import { incompleteUploadDays, incompleteUploadRuleId, listIncompleteUploads, type ObjectStoreClient } from '@tessera/storage';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { newDataset, uploadVersion } from './dataset-flow';

/**
 * A dataset or model upload over the client's 64 MiB part size goes up as a multipart upload; a
 * replica that dies during it (or a store that fails the completion) leaves the upload begun and its
 * parts stored, under the dataset's or model's prefix, listed by no object listing. Deleting the
 * dataset or model must abort them with its objects: otherwise the tenant's bytes stay in its bucket
 * (and are paid for, outside its storage quota) until the whole tenant is erased. Ceph RGW, because
 * s3rver answers every upload listing as empty.
 */
if (!cephGatewayAvailable()) {
  throw new Error('Ceph RGW is not installed: apt-get install -y radosgw ceph-mon ceph-osd libfaketime (.ci/run does)');
}

const part = Buffer.alloc(1024 * 1024, 7);

async function newModel(stack: TestStack, token: string, name: string): Promise<string> {
  return expectNoErrors(await stack.query<{ createModel: { id: string } }>(token, 'mutation($input: CreateModelInput!) { createModel(input: $input) { id } }', { input: { name } })).createModel.id;
}

/** A multipart upload with one part sent and never completed, as an interrupted upload leaves it. */
async function interruptedUpload(client: ObjectStoreClient, bucket: string, key: string): Promise<string> {
  const uploadId = await client.initiateNewMultipartUpload(bucket, key, {});
  await client.uploadPart({ bucketName: bucket, objectName: key, uploadID: uploadId, partNumber: 1, headers: {} }, part);
  return uploadId;
}

describe('deleting a dataset or a model aborts the interrupted uploads under it (Ceph RGW, STS)', () => {
  let rgw: RunningCephGateway;
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    const pki = ensureLocalPki();
    rgw = await startCephGateway({ bucketPrefix: 'tessera', tls: { caFile: pki.caFile, ...pki.files('s3') } });
    stack = await startTestStack({
      objectStore: { endpoint: rgw.endpoint, ...rgw.service, credentials: { mode: 'sts', stsEndpoint: rgw.endpoint, roleArn: rgw.roleArn, sessionSeconds: 900 } },
    });
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
    await rgw?.close();
  });

  it("no upload of the deleted dataset or model is left; another dataset's and B's are untouched", async () => {
    const adminA = await a.token('admin');
    const adminB = await b.token('admin');
    const doomed = await newDataset(stack, adminA, 'doomed');
    await uploadVersion(stack, adminA, doomed, Buffer.from('name,value\nalpha,1\n'));
    const kept = await newDataset(stack, adminA, 'kept');
    const model = await newModel(stack, adminA, 'doomed-model');
    const keptOfB = await newDataset(stack, adminB, 'kept');

    const clientA = stack.platform.runtime.tenantObjectStores.forTenant(a.id);
    const clientB = stack.platform.runtime.tenantObjectStores.forTenant(b.id);
    const doomedKey = `datasets/${doomed}/${randomUUID()}.csv`;
    const modelKey = `models/${model}/${randomUUID()}.onnx`;
    const keptKey = `datasets/${kept}/${randomUUID()}.csv`;
    const keptOfBKey = `datasets/${keptOfB}/${randomUUID()}.csv`;
    await interruptedUpload(clientA, a.bucket, doomedKey);
    await interruptedUpload(clientA, a.bucket, modelKey);
    const keptUpload = await interruptedUpload(clientA, a.bucket, keptKey);
    const keptOfBUpload = await interruptedUpload(clientB, b.bucket, keptOfBKey);
    expect((await listIncompleteUploads(clientA, a.bucket)).map((u) => u.key).sort()).toEqual([doomedKey, keptKey, modelKey].sort());

    expectNoErrors(await stack.query(adminA, 'mutation($id: ID!) { deleteDataset(id: $id) { id } }', { id: doomed }));
    expectNoErrors(await stack.query(adminA, 'mutation($id: ID!) { deleteModel(id: $id) { id } }', { id: model }));

    expect(await listIncompleteUploads(clientA, a.bucket)).toEqual([{ key: keptKey, uploadId: keptUpload, size: part.length }]);
    expect(await listIncompleteUploads(clientB, b.bucket)).toEqual([{ key: keptOfBKey, uploadId: keptOfBUpload, size: part.length }]);
  }, 120_000);

  it('every tenant bucket is made with a rule by which the store aborts an upload left incomplete under what is kept, after a day', async () => {
    for (const tenant of [a, b]) {
      const lifecycle = await stack.platform.runtime.tenantObjectStores.forBucketLifecycle(tenant.id).getBucketLifecycle(tenant.bucket);
      const rules = ([] as unknown[]).concat((lifecycle as { Rule?: unknown } | null)?.Rule ?? []);
      expect(rules).toEqual([expect.objectContaining({ ID: incompleteUploadRuleId, Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: incompleteUploadDays } })]);
    }
  });
});
