/**
 * A small sealed write (here a dataset upload's profile) that took the tenant's data key v1 and has
 * not committed yet while an admin runs the whole runbook: rotate, re-encrypt, retire v1. The
 * retirement must not answer before that write is either counted or moved off v1: otherwise the
 * profile lands under a destroyed key, and neither the upload nor any later re-encryption run
 * opens it again. The tenant's schema is on a region's own server (REGION_DATABASES), not the
 * control plane's: the write and the control plane's `tenant_keys` are on two servers.
 */
import { randomBytes } from 'node:crypto';
import { ColumnSealer } from '@tessera/service-kit';
import { quoteIdentifier } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { MysqlQueryRunner } from 'typeorm/driver/mysql/MysqlQueryRunner';

const regionServer = '127.0.0.1:3307';
const rotate = `mutation { rotateTenantKey { currentVersion } }`;
const reencrypt = `mutation { reencryptTenantObjects { id status } }`;
const operationQuery = `query($id: ID!) { keyOperation(id: $id) { status remaining lastError } }`;
const retire = `mutation($version: Int!) { retireTenantKeyVersion(version: $version) { currentVersion versions { version } } }`;
const keysQuery = `query { tenantDataKeys { currentVersion versions { version } } }`;
const completeUpload = `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id rowCount columns { name type } } }`;

let stack: TestStack;
let tenantA: TestTenant;
let tenantB: TestTenant;
let adminA: string;
let adminB: string;

const csv = (n: number) => Buffer.from(['x,y', ...Array.from({ length: n }, (_, i) => `${i},${i * 2}`)].join('\n') + '\n');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A dataset and a created upload; `send()` PUTs the body (answers the status). */
async function stagedUpload(token: string): Promise<{ uploadId: string; send: () => Promise<number> }> {
  const datasetId = expectNoErrors(
    await stack.query<{ createDataset: { id: string } }>(token, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `d-${randomBytes(3).toString('hex')}` } }),
  ).createDataset.id;
  const body = csv(10);
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, {
      input: { datasetId, filename: 'd.csv', byteSize: body.length },
    }),
  ).createDatasetUpload;
  return {
    uploadId: upload.id,
    send: async () => {
      const response = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body });
      await response.arrayBuffer();
      return response.status;
    },
  };
}

async function runReencryption(token: string): Promise<{ status: string; remaining: number | null; lastError: string | null }> {
  const started = expectNoErrors(await stack.query<{ reencryptTenantObjects: { id: string } }>(token, reencrypt, {})).reencryptTenantObjects;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const operation = expectNoErrors(await stack.query<{ keyOperation: { status: string; remaining: number | null; lastError: string | null } }>(token, operationQuery, { id: started.id })).keyOperation;
    if (operation.status !== 'RUNNING') return operation;
    if (Date.now() > deadline) throw new Error(`run ${started.id} still RUNNING`);
    await sleep(50);
  }
}

/**
 * Resolves when some service sends the statement that raises the tenant's data-key floor (the
 * retirement's first step). The statement is seen as it is sent, before the server answers it: a
 * retirement that gets that far cannot answer before the statement completes.
 */
function floorRaiseSent(tenant: TestTenant): { sent: Promise<void>; restore: () => void } {
  const original = MysqlQueryRunner.prototype.query;
  let seen!: () => void;
  const sent = new Promise<void>((resolve) => (seen = resolve));
  const spy = jest.spyOn(MysqlQueryRunner.prototype, 'query').mockImplementation(function (this: MysqlQueryRunner, ...args: Parameters<MysqlQueryRunner['query']>) {
    if (/^UPDATE .*data_key_floor/.test(args[0]) && args[0].includes(tenant.schema)) seen();
    return original.apply(this, args);
  });
  return { sent, restore: () => spy.mockRestore() };
}

beforeAll(async () => {
  stack = await startTestStack({ regionDatabases: { 'eu-west-1': regionServer } });
  tenantA = await stack.createTenant({ region: 'eu-west-1' });
  tenantB = await stack.createTenant();
  adminA = await tenantA.token('admin');
  adminB = await tenantB.token('admin');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

it('a profile sealed under v1 and committed while v1 is retired is counted (KEY_VERSION_IN_USE), stays readable, and the retirement goes through after the next run; tenant B is not held up', async () => {
  const upload = await stagedUpload(adminA);
  const original = ColumnSealer.prototype.sealJson;
  let reached!: () => void;
  const atSeal = new Promise<void>((resolve) => (reached = resolve));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  // The upload has sealed its profile with the current key (v1) and not yet committed it: it stalls here.
  const spy = jest.spyOn(ColumnSealer.prototype, 'sealJson').mockImplementation(async function (this: ColumnSealer, ...args: Parameters<ColumnSealer['sealJson']>) {
    const sealed = await original.apply(this, args);
    if (!held && this.keys.tenantId === tenantA.id && args[1].table === 'dataset_uploads') {
      held = true;
      reached();
      await gate;
    }
    return sealed;
  });
  const raising = floorRaiseSent(tenantA);
  let retiring: Promise<GraphQLResponse<unknown>> | undefined;
  try {
    const sending = upload.send();
    await atSeal;
    expect(expectNoErrors(await stack.query<{ rotateTenantKey: { currentVersion: number } }>(adminA, rotate, {})).rotateTenantKey.currentVersion).toBe(2);
    // Nothing committed is left under v1: the run finishes.
    expect(await runReencryption(adminA)).toMatchObject({ status: 'DONE', remaining: 0 });
    retiring = stack.query(adminA, retire, { version: 1 });
    // The retirement does not answer while the write that took v1 is open: it first raises the
    // tenant's floor, which waits for that write's transaction.
    const first = await Promise.race([retiring.then((answer) => ({ answeredWhileTheWriteWasOpen: errorCodes(answer) })), raising.sent.then(() => 'raising the floor' as const)]);
    expect(first).toBe('raising the floor');
    // Meanwhile another tenant seals and stores as usual (its floor, on the other server, is its own).
    const other = await stagedUpload(adminB);
    expect(await other.send()).toBe(200);
    expect(expectNoErrors(await stack.query<{ completeDatasetUpload: { rowCount: number } }>(adminB, completeUpload, { id: other.uploadId })).completeDatasetUpload.rowCount).toBe(10);
    release();
    expect(await sending).toBe(200);
    // The write committed before the count: v1 is refused, not destroyed.
    const answer = await retiring;
    expect(errorCodes(answer)).toEqual(['KEY_VERSION_IN_USE']);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ version: 1 });
    expect(Number(answer.errors?.[0]?.extensions?.['dependents'])).toBeGreaterThanOrEqual(1);
  } finally {
    raising.restore();
    spy.mockRestore();
    release();
  }
  const schemaA = quoteIdentifier(tenantA.schema);
  expect(await stack.adminQueryOn(regionServer, `SELECT profile_key_version AS v FROM ${schemaA}.dataset_uploads WHERE id = ?`, [upload.uploadId])).toEqual([{ v: 1 }]);
  expect(await stack.adminQueryOn(regionServer, `SELECT floor_version AS f FROM ${schemaA}.data_key_floor`)).toEqual([{ f: 2 }]);
  // The runbook goes on: the next run moves the profile, and v1 goes.
  expect(await runReencryption(adminA)).toMatchObject({ status: 'DONE', remaining: 0, lastError: null });
  expect(await stack.adminQueryOn(regionServer, `SELECT profile_key_version AS v FROM ${schemaA}.dataset_uploads WHERE id = ?`, [upload.uploadId])).toEqual([{ v: 2 }]);
  expect(errorCodes(await stack.query(adminA, retire, { version: 1 }))).toEqual([]);
  expect(expectNoErrors(await stack.query<{ tenantDataKeys: { versions: Array<{ version: number }> } }>(adminA, keysQuery, {})).tenantDataKeys.versions).toEqual([{ version: 2 }]);
  // The held upload's profile opens: completing it builds the version from it.
  const version = expectNoErrors(await stack.query<{ completeDatasetUpload: { rowCount: number; columns: Array<{ name: string }> } }>(adminA, completeUpload, { id: upload.uploadId })).completeDatasetUpload;
  expect(version.rowCount).toBe(10);
  expect(version.columns.map((column) => column.name)).toEqual(['x', 'y']);
  // A write after the retirement seals under the current version.
  const later = await stagedUpload(adminA);
  expect(await later.send()).toBe(200);
  expect(await stack.adminQueryOn(regionServer, `SELECT profile_key_version AS v FROM ${schemaA}.dataset_uploads WHERE id = ?`, [later.uploadId])).toEqual([{ v: 2 }]);
  // Tenant B: still on v1, its floor untouched, its version readable.
  expect(expectNoErrors(await stack.query<{ tenantDataKeys: { currentVersion: number; versions: Array<{ version: number }> } }>(adminB, keysQuery, {})).tenantDataKeys).toEqual({ currentVersion: 1, versions: [{ version: 1 }] });
  expect(await stack.adminQuery(`SELECT floor_version AS f FROM ${quoteIdentifier(tenantB.schema)}.data_key_floor`)).toEqual([{ f: 0 }]);
}, 180_000);
