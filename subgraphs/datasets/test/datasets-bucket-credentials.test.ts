import { randomUUID } from 'node:crypto';
import { cephGatewayAvailable, ensureLocalPki, startCephGateway, type RunningCephGateway } from '@tessera/local-infra';
import { createObjectStoreClient, incompleteUploadDays, incompleteUploadRuleId, listIncompleteUploads, type ObjectStoreClient } from '@tessera/storage';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { newDataset, uploadVersion } from './dataset-flow';

/**
 * The whole platform with OBJECT_STORE_CREDENTIALS=sts against Ceph RGW (which enforces IAM/STS
 * policies): provisioning creates each bucket with a session scoped to it, uploads and reads go
 * through the tenant's scoped client, and the runtime's own key reaches no tenant's objects.
 */
if (!cephGatewayAvailable()) {
  throw new Error('Ceph RGW is not installed: apt-get install -y radosgw ceph-mon ceph-osd libfaketime (.ci/run does)');
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

async function keysIn(client: ObjectStoreClient, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of client.listObjectsV2(bucket, '', true)) if (item.name) keys.push(item.name);
  return keys;
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

describe('datasets with per-tenant bucket credentials (STS, Ceph RGW)', () => {
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

  it('uploads and previews work through the tenant-scoped client', async () => {
    const token = await a.token('admin');
    const dataset = await newDataset(stack, token, 'scoped');
    const version = await uploadVersion(stack, token, dataset, Buffer.from('name,value\nalpha,1\nbeta,2\n'));
    const preview = expectNoErrors(await stack.query<{ datasetVersion: { preview: { rows: unknown[] } } }>(token, `query($id: ID!) { datasetVersion(id: $id) { preview { rows } } }`, { id: version.id }));
    expect(preview.datasetVersion.preview.rows).toHaveLength(2);
    const aClient = stack.platform.runtime.tenantObjectStores.forTenant(a.id);
    expect((await keysIn(aClient, a.bucket)).some((key) => key.startsWith(`datasets/${dataset}/`))).toBe(true);
  });

  it("the runtime's client for A is refused on B's bucket, and the base key on both", async () => {
    await uploadVersion(stack, await b.token('admin'), await newDataset(stack, await b.token('admin'), 'b-data'), Buffer.from('x,y\n1,2\n'));
    const aClient = stack.platform.runtime.tenantObjectStores.forTenant(a.id);
    const bKeys = await keysIn(stack.platform.runtime.tenantObjectStores.forTenant(b.id), b.bucket);
    expect(bKeys.length).toBeGreaterThan(0);
    expect(await codeOf(keysIn(aClient, b.bucket))).toBe('AccessDenied');
    expect(await codeOf(aClient.getObject(b.bucket, bKeys[0]!))).toBe('AccessDenied');
    expect(await codeOf(aClient.putObject(b.bucket, 'x', Buffer.from('x')))).toBe('AccessDenied');
    expect(await codeOf(aClient.removeObject(b.bucket, bKeys[0]!))).toBe('AccessDenied');

    const base = stack.platform.runtime.objectStore;
    expect(await codeOf(keysIn(base, a.bucket))).toBe('AccessDenied');
    expect(await codeOf(base.getObject(b.bucket, bKeys[0]!))).toBe('AccessDenied');
    // The same key outside the platform's code: still refused (the store decides, not our client).
    const raw = createObjectStoreClient({ endpoint: rgw.endpoint, ...rgw.service, defaultRegion: 'us-east-1', tlsCaFile: rgw.tlsCaFile });
    expect(await codeOf(raw.getObject(b.bucket, bKeys[0]!))).toBe('AccessDenied');
  });

  it('audit checkpoints are written to and read back from the tenant bucket with its scoped session', async () => {
    const admin = await a.token('admin');
    await stack.drainAudit(a.id);
    const checkpoint = expectNoErrors(
      await stack.query<{ createAuditCheckpoint: { objectKey: string | null; signature: string } }>(admin, `mutation { createAuditCheckpoint { objectKey signature } }`),
    ).createAuditCheckpoint;
    expect(checkpoint.objectKey).toBeTruthy();
    const stream = await stack.platform.runtime.tenantObjectStores.forTenant(a.id).getObject(a.bucket, checkpoint.objectKey!);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
    expect(Buffer.concat(chunks).toString('utf8')).toBe(checkpoint.signature);
    const verified = expectNoErrors(await stack.query<{ verifyAuditChain: { valid: boolean; checkpointsChecked: number } }>(admin, `{ verifyAuditChain { valid checkpointsChecked } }`));
    expect(verified.verifyAuditChain).toMatchObject({ valid: true });
    expect(verified.verifyAuditChain.checkpointsChecked).toBeGreaterThanOrEqual(2); // the row and the bucket copy
  });

  it('erasing a tenant removes its bucket with its own lifecycle session', async () => {
    const c = await stack.createTenant();
    await uploadVersion(stack, await c.token('admin'), await newDataset(stack, await c.token('admin'), 'gone'), Buffer.from('x\n1\n'));
    await stack.platform.provisioner.deprovision(c.id);
    const admin = createObjectStoreClient({ endpoint: rgw.endpoint, ...rgw.admin, defaultRegion: 'us-east-1', tlsCaFile: rgw.tlsCaFile });
    // The admin user is not the bucket's owner: a missing bucket answers NoSuchBucket/false,
    // an existing one AccessDenied.
    expect(await codeOf(admin.bucketExists(c.bucket).then((exists) => (exists ? Promise.reject({ code: 'EXISTS' }) : undefined)))).toBe('OK');
  });

  /**
   * A dataset or model upload over the client's 64 MiB part size goes up as a multipart upload; a
   * replica that dies during it (or a store that fails the completion) leaves the upload begun and its
   * parts stored, under the dataset's or model's prefix, listed by no object listing. Deleting the
   * dataset or model must abort them with its objects: otherwise the tenant's bytes stay in its bucket
   * (and are paid for, outside its storage quota) until the whole tenant is erased. Ceph RGW, because
   * s3rver answers every upload listing as empty.
   */
  describe('deleting a dataset or a model aborts the interrupted uploads under it', () => {
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
});
