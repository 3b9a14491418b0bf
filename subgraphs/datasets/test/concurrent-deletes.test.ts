/**
 * Deletes of one dataset (one model) sent at once: one of them deletes it, the others are
 * NOT_FOUND as a delete sent afterwards is. Before, every delete that found the row still
 * DELETING went on, answered success with the version count, and wrote its own `*.delete` event:
 * the trail showed one dataset deleted four times (a BULK_DELETION rule counts those events).
 */
import { randomBytes } from 'node:crypto';
import { buildLinearRegression } from '@tessera/onnx';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

const onnx = Buffer.from(buildLinearRegression({ weights: [0.5, -1.25, 2], bias: 0.75 }));
const csv = Buffer.from('x,y\n1,2\n3,4\n');

let stack: TestStack;
let tenant: TestTenant;
let admin: string;
let scientist: string;

async function put(url: string, body: Buffer, type: string): Promise<void> {
  const response = await fetch(url, { method: 'PUT', headers: { 'content-type': type, authorization: `Bearer ${scientist}` }, body });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`upload answered ${response.status}`);
}

async function datasetWithVersions(versions: number): Promise<string> {
  const id = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(scientist, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `d-${randomBytes(3).toString('hex')}` } })).createDataset.id;
  for (let i = 0; i < versions; i++) {
    const upload = expectNoErrors(
      await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(scientist, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, { input: { datasetId: id, filename: 'd.csv', byteSize: csv.length } }),
    ).createDatasetUpload;
    await put(upload.uploadUrl, csv, 'text/csv');
    expectNoErrors(await stack.query(scientist, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id }));
  }
  return id;
}

async function modelWithVersions(versions: number): Promise<string> {
  const id = expectNoErrors(await stack.query<{ createModel: { id: string } }>(scientist, `mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, { input: { name: `m-${randomBytes(3).toString('hex')}` } })).createModel.id;
  for (let i = 0; i < versions; i++) {
    const upload = expectNoErrors(
      await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(scientist, `mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }`, { input: { modelId: id, filename: 'm.onnx', byteSize: onnx.length } }),
    ).createModelUpload;
    await put(upload.uploadUrl, onnx, 'application/octet-stream');
    expectNoErrors(await stack.query(scientist, `mutation($id: ID!) { completeModelUpload(uploadId: $id) { id } }`, { id: upload.id }));
  }
  return id;
}

async function deleteEvents(action: string, targetId: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  let count = 0;
  for (;;) {
    count = expectNoErrors(
      await stack.query<{ auditEvents: { edges: unknown[] } }>(admin, `query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100) { edges { node { id } } } }`, { filter: { action, targetId } }),
    ).auditEvents.edges.length;
    if (count > 0 || Date.now() > deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await stack.createTenant();
  admin = await tenant.token('admin');
  scientist = await tenant.token('data_scientist');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

it('six deletes of one dataset at once: one deletes it, five are NOT_FOUND, one dataset.delete event; the quotas counted once', async () => {
  for (let round = 0; round < 3; round++) {
    const usage = async () => expectNoErrors(await stack.query<{ tenantUsage: { datasets: number; datasetVersions: number } }>(admin, `{ tenantUsage { datasets datasetVersions } }`)).tenantUsage;
    const before = await usage();
    const id = await datasetWithVersions(2);
    const answers = await Promise.all(Array.from({ length: 6 }, () => stack.query<{ deleteDataset: { deletedVersions: number } }>(admin, `mutation($id: ID!) { deleteDataset(id: $id) { deletedVersions } }`, { id })));
    const deleted = answers.filter((answer) => !answer.errors).map((answer) => answer.data!.deleteDataset.deletedVersions);
    expect({ round, deleted, refused: answers.filter((answer) => answer.errors).flatMap(errorCodes) }).toEqual({ round, deleted: [2], refused: Array(5).fill('NOT_FOUND') });
    expect(await deleteEvents('dataset.delete', id)).toBe(1);
    expect(await usage()).toEqual(before);
  }
}, 120_000);

it('six deletes of one model at once: one deletes it, five are NOT_FOUND, one model.delete event', async () => {
  for (let round = 0; round < 3; round++) {
    const id = await modelWithVersions(2);
    const answers = await Promise.all(Array.from({ length: 6 }, () => stack.query<{ deleteModel: { deletedVersions: number } }>(admin, `mutation($id: ID!) { deleteModel(id: $id) { deletedVersions } }`, { id })));
    const deleted = answers.filter((answer) => !answer.errors).map((answer) => answer.data!.deleteModel.deletedVersions);
    expect({ round, deleted, refused: answers.filter((answer) => answer.errors).flatMap(errorCodes) }).toEqual({ round, deleted: [2], refused: Array(5).fill('NOT_FOUND') });
    expect(await deleteEvents('model.delete', id)).toBe(1);
  }
}, 120_000);
