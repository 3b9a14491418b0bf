/**
 * A family key rotation run read the header of every object of the dataset at every batch
 * (FamilyKeyOperations.reencrypt listed and read them all to pick the batch and count what was
 * left): a dataset of N objects cost about N²/batchSize object reads. 100 objects took 11.8 s on
 * the development platform; 10 000 would have taken hours of continuous reads of the shared object
 * store and datasets service. Now each batch goes on after the previous one's last key, and the run
 * reads each object's header about once (plus the rotation's answer, the final status and the
 * count under the rows' lock).
 */
import { randomBytes } from 'node:crypto';
import { TenantBucket } from '@tessera/storage';
import { expectNoErrors, startTestStack, type TestStack } from '@tessera/testing';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const objects = 60;

it('reads each object header a bounded number of times, not once per batch', async () => {
  const tenant = await stack.createTenant();
  const admin = await tenant.token('admin');
  const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(admin, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `q-${randomBytes(3).toString('hex')}` } })).createDataset.id;
  for (let i = 0; i < objects; i++) {
    const body = Buffer.from(`x,y\n${i},${i}\n`);
    const upload = expectNoErrors(await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(admin, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, { input: { datasetId, filename: 'd.csv', byteSize: body.length } })).createDatasetUpload;
    const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${admin}` }, body });
    await put.arrayBuffer();
    expectNoErrors(await stack.query(admin, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id }));
  }
  const reads = jest.spyOn(TenantBucket.prototype, 'headerKeyVersion');
  try {
    const id = expectNoErrors(await stack.query<{ rotateDatasetKey: { operation: { id: string } } }>(admin, `mutation($id: ID!) { rotateDatasetKey(id: $id) { operation { id } } }`, { id: datasetId })).rotateDatasetKey.operation.id;
    for (;;) {
      const op = expectNoErrors(await stack.query<{ keyOperation: { status: string } }>(admin, `query($id: ID!) { keyOperation(id: $id) { status } }`, { id })).keyOperation;
      if (op.status !== 'RUNNING') {
        expect(op.status).toBe('DONE');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Linear: the batches, the rotation's answer, the final status and the destruction's count.
    expect(reads.mock.calls.length).toBeLessThanOrEqual(4 * objects);
  } finally {
    reads.mockRestore();
  }
}, 180_000);
