/**
 * Many rotations of ONE dataset's key asked for at once (an admin double-clicking, a script
 * retrying, two admins): they join one run instead of queueing on a lock, every caller gets an
 * answer (the run, or a CONFLICT that says why and when to retry) without waiting on a lock,
 * never a 500, and the dataset reads after the run. Other datasets and other tenants are not
 * held back by it.
 */
import { randomBytes } from 'node:crypto';
import type { Principal } from '@tessera/auth';
import { familyHeaderVersion } from '@tessera/service-kit';
import { advisoryLockName, quoteIdentifier } from '@tessera/tenancy';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { FamilyKeyRotator } from '../src/domain/family-key-rotator';

const rotateDataset = `mutation($id: ID!) { rotateDatasetKey(id: $id) { coalesced key { currentVersion } operation { id status targetVersion } } }`;
const operationQuery = `query($id: ID!) { keyOperation(id: $id) { id status remaining lastError } }`;

interface Rotation {
  coalesced: boolean;
  key: { currentVersion: number };
  operation: { id: string; status: string; targetVersion: number };
}

let stack: TestStack;
let tenantA: TestTenant;
let tenantB: TestTenant;
let adminA: string;
let scientistA: string;
let datasetA: string;
let otherDatasetA: string;
let datasetB: string;
const versionsA: string[] = [];

const csv = (seed: number) => Buffer.from(['x,y', ...Array.from({ length: 8 }, (_, i) => `${i},${i * seed}`)].join('\n') + '\n');

async function createDataset(token: string): Promise<string> {
  return expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `c-${randomBytes(3).toString('hex')}` } })).createDataset.id;
}

async function uploadVersion(token: string, datasetId: string, body: Buffer): Promise<string> {
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, { input: { datasetId, filename: 'd.csv', byteSize: body.length } }),
  ).createDatasetUpload;
  const response = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body });
  await response.arrayBuffer();
  expect(response.status).toBe(200);
  return expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id })).completeDatasetUpload.id;
}

async function waitDone(id: string): Promise<{ status: string; lastError: string | null }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const operation = expectNoErrors(await stack.query<{ keyOperation: { status: string; lastError: string | null } }>(adminA, operationQuery, { id })).keyOperation;
    if (operation.status !== 'RUNNING') return operation;
    if (Date.now() > deadline) throw new Error(`run ${id} still RUNNING`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function headers(tenant: TestTenant, datasetId: string): Promise<number[]> {
  const scope = await stack.platform.runtimes.datasets.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 'test', sourceIp: undefined });
  const found: number[] = [];
  for (const key of await scope.bucket.listKeys(`datasets/${datasetId}/`)) found.push((await scope.bucket.headerKeyVersion(key))!);
  return found.sort();
}

async function previewsFail(): Promise<string[]> {
  const failures: string[] = [];
  for (const [index, id] of versionsA.entries()) {
    const preview = await stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(scientistA, `query($id: ID!) { datasetVersion(id: $id) { preview(limit: 3) { rows } } }`, { id });
    if (preview.errors || preview.data!.datasetVersion.preview.rows[2]?.[1] !== String(2 * (index + 1))) failures.push(`${id}: ${JSON.stringify(preview.errors ?? preview.data)}`);
  }
  return failures;
}

function admin(tenant: TestTenant): Principal {
  return { kind: 'user', subject: 'test-admin', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 'test', sourceIp: undefined };
}

beforeAll(async () => {
  stack = await startTestStack();
  tenantA = await stack.createTenant();
  tenantB = await stack.createTenant();
  adminA = await tenantA.token('admin');
  scientistA = await tenantA.token('data_scientist');
  datasetA = await createDataset(scientistA);
  for (let i = 1; i <= 4; i++) versionsA.push(await uploadVersion(scientistA, datasetA, csv(i)));
  otherDatasetA = await createDataset(scientistA);
  await uploadVersion(scientistA, otherDatasetA, csv(1));
  const scientistB = await tenantB.token('data_scientist');
  datasetB = await createDataset(scientistB);
  await uploadVersion(scientistB, datasetB, csv(1));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

it('six rotations of one dataset at once through the gateway: one run, the others join it; no error; the dataset reads after', async () => {
  for (let round = 0; round < 2; round++) {
    const answers = await Promise.all(Array.from({ length: 6 }, () => stack.query<{ rotateDatasetKey: Rotation }>(adminA, rotateDataset, { id: datasetA })));
    const rotations = answers.map((answer) => expectNoErrors(answer).rotateDatasetKey);
    expect(rotations.filter((rotation) => !rotation.coalesced)).toHaveLength(1);
    const operations = new Set(rotations.map((rotation) => rotation.operation.id));
    expect(operations.size).toBe(1);
    const started = rotations.find((rotation) => !rotation.coalesced)!;
    expect(started.operation.targetVersion).toBe(round + 2);
    expect(await waitDone(started.operation.id)).toMatchObject({ status: 'DONE', lastError: null });
    // One new version, every object under it, the older ones destroyed; everything reads.
    expect(await headers(tenantA, datasetA)).toEqual(versionsA.map(() => familyHeaderVersion(round + 2)));
    const rows = await stack.adminQuery<Array<{ version: number }>>(`SELECT version FROM ${quoteIdentifier(tenantA.schema)}.dataset_keys WHERE dataset_id = ?`, [datasetA]);
    expect(rows.map((row) => Number(row.version))).toEqual([round + 2]);
    expect(await previewsFail()).toEqual([]);
  }
});

it("while another replica is starting a rotation of the dataset, a rotation answers CONFLICT (reason, retry hint) before that start ends; another dataset's and another tenant's rotations are not held", async () => {
  // Another replica, between claiming the start and recording its run: its lock is held by this connection.
  const lock = advisoryLockName('family_key', stack.config.database.controlSchema, tenantA.id, datasetA);
  const runner = stack.platform.runtimes.tenants.db.createQueryRunner();
  await runner.connect();
  try {
    expect(await runner.query('SELECT GET_LOCK(?, 0) AS acquired', [lock])).toEqual([{ acquired: 1 }]);
    const rotator = new FamilyKeyRotator({
      db: stack.platform.runtimes.tenants.db,
      controlSchema: stack.config.database.controlSchema,
      owners: { dataset: stack.platform.ports.datasets, model: stack.platform.ports.models },
      logger: stack.platform.runtimes.tenants.logger,
    });
    // Answered while the lock is still held (released only after these resolve).
    const refused = await rotator.rotate(tenantA.id, 'dataset', datasetA, admin(tenantA)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ extensions: { code: 'CONFLICT', reason: 'KEY_ROTATION_STARTING', retryAfterSeconds: 1 } });
    const before = await stack.adminQuery<unknown[]>(`SELECT version FROM ${quoteIdentifier(tenantA.schema)}.dataset_keys WHERE dataset_id = ?`, [datasetA]);
    expect(before).toHaveLength(1);
    // Through the gateway, the same answer: typed, not a 500.
    const answer = await stack.query(adminA, rotateDataset, { id: datasetA });
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'KEY_ROTATION_STARTING', retryAfterSeconds: 1 });
    // Another dataset of A, and B's dataset, rotate meanwhile.
    const other = await rotator.rotate(tenantA.id, 'dataset', otherDatasetA, admin(tenantA));
    const ofB = await rotator.rotate(tenantB.id, 'dataset', datasetB, admin(tenantB));
    expect([other.coalesced, ofB.coalesced]).toEqual([false, false]);
    await rotator.idle();
    expect((await rotator.find(other.operation.id))?.status).toBe('DONE');
    expect((await rotator.find(ofB.operation.id))?.status).toBe('DONE');
  } finally {
    await runner.query('SELECT RELEASE_LOCK(?)', [lock]);
    await runner.release();
  }
  // Once the other start is over, the retry goes through.
  const retried = expectNoErrors(await stack.query<{ rotateDatasetKey: Rotation }>(adminA, rotateDataset, { id: datasetA })).rotateDatasetKey;
  expect(retried.coalesced).toBe(false);
  expect(await waitDone(retried.operation.id)).toMatchObject({ status: 'DONE', lastError: null });
  expect(await previewsFail()).toEqual([]);
});
