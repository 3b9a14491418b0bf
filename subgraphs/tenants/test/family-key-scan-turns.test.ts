/**
 * `datasetKey` / `modelKey` (and a family key version's retirement) read the header of every
 * object of the dataset or model in the bucket: work that grows with its versions, for a query
 * costing a few units, and the root fields of one operation resolve in parallel. Before, one
 * tenant's four operations of 20 aliased `datasetKey` over a dataset of 100 versions (8 000
 * object reads, under 1 000 cost units) kept the datasets service and the object store busy for
 * ~20 s, and another tenant's dataset preview went from 50 ms to 0.5–3 s meanwhile. Now the owner
 * runs one such scan per tenant at a time (a few more wait up to 2 s, the rest are RATE_LIMITED
 * with `limit: familyKeyScansPerTenant`), and another tenant's scan is not held back.
 */
import { randomBytes } from 'node:crypto';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

let stack: TestStack;
let tenantA: TestTenant;
let tenantB: TestTenant;
let adminA: string;
let adminB: string;
let datasetA: string;
let datasetB: string;
const versionsOfA = 12;

async function createDataset(token: string): Promise<string> {
  return expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `s-${randomBytes(3).toString('hex')}` } })).createDataset.id;
}

async function uploadVersion(token: string, datasetId: string, seed: number): Promise<void> {
  const body = Buffer.from(`x,y\n${seed},${seed + 1}\n`);
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, { input: { datasetId, filename: 'd.csv', byteSize: body.length } }),
  ).createDatasetUpload;
  const response = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body });
  await response.arrayBuffer();
  expect(response.status).toBe(200);
  expectNoErrors(await stack.query(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id }));
}

beforeAll(async () => {
  stack = await startTestStack();
  [tenantA, tenantB] = await Promise.all([stack.createTenant(), stack.createTenant()]);
  [adminA, adminB] = await Promise.all([tenantA.token('admin'), tenantB.token('admin')]);
  [datasetA, datasetB] = await Promise.all([createDataset(adminA), createDataset(adminB)]);
  for (let i = 0; i < versionsOfA; i++) await uploadVersion(adminA, datasetA, i);
  await uploadVersion(adminB, datasetB, 1);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

interface Answer {
  data?: Record<string, { versions: Array<{ objects: number }> } | null> | null;
  errors?: Array<{ path?: string[]; extensions?: Record<string, unknown> }>;
}

describe("a tenant's family key scans", () => {
  it("run one at a time per tenant: 20 aliased datasetKey are refused RATE_LIMITED past a few (never a 500), and another tenant's datasetKey answers meanwhile", async () => {
    const aliases = Array.from({ length: 20 }, (_, i) => `k${i}: datasetKey(id: $id) { versions { objects } }`).join(' ');
    const [a, b] = await Promise.all([
      stack.query(adminA, `query($id: ID!) { ${aliases} }`, { id: datasetA }) as Promise<Answer>,
      // B asks a moment later, while A's scans hold their turns.
      new Promise((resolve) => setTimeout(resolve, 50)).then(() => stack.query(adminB, `query($id: ID!) { datasetKey(id: $id) { versions { objects } } }`, { id: datasetB }) as Promise<Answer>),
    ]);
    expect(b.errors).toBeUndefined();
    expect(b.data?.['datasetKey']?.versions).toEqual([{ objects: 1 }]);
    // Before, all 20 scans ran at once and answered. The root field is non-null, so the first
    // refusal nulls `data` and ends the answer: one error, the typed refusal.
    expect(a.errors?.map((error) => error.extensions)).toEqual([expect.objectContaining({ code: 'RATE_LIMITED', limit: 'familyKeyScansPerTenant', limitValue: 1, retryAfterSeconds: 2 })]);
  });

  it('separate requests: each is answered (the right count) or RATE_LIMITED, and one at a time every scan answers', async () => {
    // The scans of the first test that were waiting for a turn when its answer ended go on: let them finish.
    const single = () => stack.query(adminA, `query($id: ID!) { datasetKey(id: $id) { versions { objects } } }`, { id: datasetA }) as Promise<Answer>;
    for (let tries = 0; (await single()).errors; tries++) {
      expect(tries).toBeLessThan(50);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const answers = await Promise.all(Array.from({ length: 12 }, () => stack.query(adminA, `query($id: ID!) { datasetKey(id: $id) { versions { objects } } }`, { id: datasetA }) as Promise<Answer>));
    for (const answer of answers) {
      if (answer.errors) expect(answer.errors.map((error) => error.extensions)).toEqual([expect.objectContaining({ code: 'RATE_LIMITED', limit: 'familyKeyScansPerTenant' })]);
      else expect(answer.data?.['datasetKey']?.versions).toEqual([{ objects: versionsOfA }]);
    }
    expect(answers.some((answer) => !answer.errors)).toBe(true);
    const again = expectNoErrors(await stack.query<{ datasetKey: { versions: Array<{ objects: number }> } }>(adminA, `query($id: ID!) { datasetKey(id: $id) { versions { objects } } }`, { id: datasetA }));
    expect(again.datasetKey.versions).toEqual([{ objects: versionsOfA }]);
  });
});
