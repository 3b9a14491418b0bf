/**
 * Rotation of one dataset's or one model's own key: a new version for new writes at once, the
 * family's objects re-encrypted under it by a resumable background run while downloads and
 * predictions keep working, the old wrapped key destroyed at the end (and on explicit retire,
 * refused while in use); who may do it, and that another tenant can neither rotate nor observe.
 */
import { randomBytes } from 'node:crypto';
import { drainSecurityOutbox, settleDeferredRecords } from '@tessera/audit-client';
import { decryptBuffer } from '@tessera/crypto';
import { buildLinearRegression } from '@tessera/onnx';
import { familyHeaderVersion, FamilyKeys, type FamilyKeyTable } from '@tessera/service-kit';
import { TenantBucket } from '@tessera/storage';
import { quoteIdentifier, type TenantScope } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { FamilyKeyRotator, type FamilyKeyOwner } from '../src/domain/family-key-rotator';

const keyFields = 'id owner currentVersion versions { version status objects } objectsUnderTenantKey';
const operationFields = 'id tenantId kind targetId targetVersion status reencrypted remaining lastError';
const rotateDataset = `mutation($id: ID!, $tenantId: ID) { rotateDatasetKey(id: $id, tenantId: $tenantId) { coalesced key { ${keyFields} } operation { ${operationFields} } } }`;
const rotateModel = `mutation($id: ID!, $tenantId: ID) { rotateModelKey(id: $id, tenantId: $tenantId) { coalesced key { ${keyFields} } operation { ${operationFields} } } }`;
const datasetKeyQuery = `query($id: ID!, $tenantId: ID) { datasetKey(id: $id, tenantId: $tenantId) { ${keyFields} } }`;
const modelKeyQuery = `query($id: ID!, $tenantId: ID) { modelKey(id: $id, tenantId: $tenantId) { ${keyFields} } }`;
const retireDataset = `mutation($id: ID!, $version: Int!, $tenantId: ID) { retireDatasetKeyVersion(id: $id, version: $version, tenantId: $tenantId) { ${keyFields} } }`;
const operationQuery = `query($id: ID!) { keyOperation(id: $id) { ${operationFields} } }`;

interface Operation {
  id: string;
  tenantId: string;
  kind: string;
  targetId: string | null;
  targetVersion: number;
  status: 'RUNNING' | 'DONE' | 'FAILED';
  reencrypted: number;
  remaining: number | null;
  lastError: string | null;
}
interface FamilyKeyView {
  id: string;
  owner: string;
  currentVersion: number;
  versions: Array<{ version: number; status: string; objects: number }>;
  objectsUnderTenantKey: number;
}
interface Rotation {
  coalesced: boolean;
  key: FamilyKeyView;
  operation: Operation;
}

const datasetKeyTable: FamilyKeyTable = { table: 'dataset_keys', idColumn: 'dataset_id' };
const modelKeyTable: FamilyKeyTable = { table: 'model_keys', idColumn: 'model_id' };
const linear = { weights: [0.5, -1.25, 2], bias: 0.75 };
const linearOnnx = Buffer.from(buildLinearRegression(linear));
const csv = (n: number, seed: number) => Buffer.from(['x,y', ...Array.from({ length: n }, (_, i) => `${i},${i * seed}`)].join('\n') + '\n');

let stack: TestStack;
let platformAdmin: string;
let tenantA: TestTenant;
let tenantB: TestTenant;
let adminA: string;
let adminB: string;
let scientistA: string;
let viewerA: string;
let datasetA: string;
const datasetVersionsA: string[] = [];
let datasetB: string;
let datasetVersionB: string;
let modelA: string;
const modelVersionsA: string[] = [];

async function put(url: string, token: string, body: Buffer, type: string): Promise<void> {
  const response = await fetch(url, { method: 'PUT', headers: { 'content-type': type, authorization: `Bearer ${token}` }, body });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`upload answered ${response.status}`);
}

async function createDataset(token: string): Promise<string> {
  return expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `d-${randomBytes(3).toString('hex')}` } })).createDataset.id;
}

async function uploadDatasetVersion(token: string, datasetId: string, body: Buffer): Promise<string> {
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, { input: { datasetId, filename: 'd.csv', byteSize: body.length } }),
  ).createDatasetUpload;
  await put(upload.uploadUrl, token, body, 'text/csv');
  return expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id })).completeDatasetUpload.id;
}

async function uploadModelVersion(token: string, modelId: string): Promise<{ id: string; number: number }> {
  const upload = expectNoErrors(
    await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }`, {
      input: { modelId, filename: 'm.onnx', byteSize: linearOnnx.length },
    }),
  ).createModelUpload;
  await put(upload.uploadUrl, token, linearOnnx, 'application/octet-stream');
  return expectNoErrors(await stack.query<{ completeModelUpload: { id: string; number: number } }>(token, `mutation($id: ID!) { completeModelUpload(uploadId: $id) { id number } }`, { id: upload.id })).completeModelUpload;
}

async function scopeOf(tenant: TestTenant, service: 'datasets' | 'models'): Promise<TenantScope> {
  return stack.platform.runtimes[service].scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 'test', sourceIp: undefined });
}

/** Every object of the family in the bucket, with the key version its header names. */
async function headersOf(tenant: TestTenant, prefix: 'datasets' | 'models', familyId: string): Promise<number[]> {
  const scope = await scopeOf(tenant, prefix);
  const versions: number[] = [];
  for (const key of await scope.bucket.listKeys(`${prefix}/${familyId}/`)) versions.push((await scope.bucket.headerKeyVersion(key))!);
  return versions.sort();
}

async function wrappedVersions(tenant: TestTenant, table: FamilyKeyTable, familyId: string): Promise<number[]> {
  const rows = await stack.adminQuery<Array<{ version: number }>>(`SELECT version FROM ${quoteIdentifier(tenant.schema)}.${table.table} WHERE ${table.idColumn} = ? ORDER BY version`, [familyId]);
  return rows.map((row) => Number(row.version));
}

async function rawObject(tenant: TestTenant, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await stack.platform.runtime.objectStore.getObject(tenant.bucket, key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads of A's model (prediction by alias, every version's download) and dataset (every version's preview); what failed. */
async function readEverything(): Promise<string[]> {
  const failures: string[] = [];
  const expected = 1 * linear.weights[0]! + 2 * linear.weights[1]! + 3 * linear.weights[2]! + linear.bias;
  const predict = await stack.query<{ predict: { outputs: Array<{ data: number[] }> } }>(viewerA, `query($input: PredictInput!) { predict(input: $input) { outputs { data } } }`, {
    input: { modelId: modelA, alias: 'production', inputs: [{ name: 'input', shape: [1, 3], data: [1, 2, 3] }] },
  });
  if (predict.errors || Math.abs(predict.data!.predict.outputs[0]!.data[0]! - expected) > 1e-4) failures.push(`predict: ${JSON.stringify(predict.errors ?? predict.data)}`);
  for (const id of modelVersionsA) {
    const download = await fetch(`${stack.gatewayUrl}/downloads/models/${id}`, { headers: { authorization: `Bearer ${scientistA}` } });
    const bytes = Buffer.from(await download.arrayBuffer());
    if (download.status !== 200 || !bytes.equals(linearOnnx)) failures.push(`download ${id}: ${download.status}`);
  }
  for (const id of datasetVersionsA) {
    const preview = await stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(viewerA, `query($id: ID!) { datasetVersion(id: $id) { preview(limit: 3) { rows } } }`, { id });
    if (preview.errors || preview.data!.datasetVersion.preview.rows[2]?.[0] !== '2') failures.push(`preview ${id}: ${JSON.stringify(preview.errors ?? preview.data)}`);
  }
  return failures;
}

/** A rotator of the test's own, on the same ports and tables as the service's, at a pace the test sets. */
function rotator(batchSize: number, pauseMs: number): FamilyKeyRotator {
  const runtime = stack.platform.runtimes.tenants;
  const owner = (port: FamilyKeyOwner): FamilyKeyOwner => port;
  return new FamilyKeyRotator(
    { db: runtime.db, controlSchema: stack.config.database.controlSchema, owners: { dataset: owner(stack.platform.ports.datasets), model: owner(stack.platform.ports.models) }, logger: runtime.logger },
    { batchSize, pauseMs },
  );
}

async function waitFor(id: string, token: string, predicate: (operation: Operation) => boolean): Promise<Operation> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const operation = expectNoErrors(await stack.query<{ keyOperation: Operation }>(token, operationQuery, { id })).keyOperation;
    if (predicate(operation)) return operation;
    if (Date.now() > deadline) throw new Error(`operation not there yet: ${JSON.stringify(operation)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function adminPrincipal(tenant: TestTenant) {
  return { kind: 'user' as const, subject: 'test-admin', tenantId: tenant.id, roles: ['admin' as const], clientId: undefined, requestId: 'test', sourceIp: undefined };
}

beforeAll(async () => {
  stack = await startTestStack();
  platformAdmin = await stack.platformAdminToken();
  [tenantA, tenantB] = await Promise.all([stack.createTenant(), stack.createTenant()]);
  adminA = await tenantA.token('admin');
  adminB = await tenantB.token('admin');
  scientistA = await tenantA.token('data_scientist');
  viewerA = await tenantA.token('viewer');
  datasetA = await createDataset(scientistA);
  for (let i = 1; i <= 3; i++) datasetVersionsA.push(await uploadDatasetVersion(scientistA, datasetA, csv(6, i)));
  datasetB = await createDataset(await tenantB.token('data_scientist'));
  datasetVersionB = await uploadDatasetVersion(await tenantB.token('data_scientist'), datasetB, csv(3, 1));
  modelA = expectNoErrors(await stack.query<{ createModel: { id: string } }>(scientistA, `mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, { input: { name: 'm' } })).createModel.id;
  for (let i = 0; i < 3; i++) modelVersionsA.push((await uploadModelVersion(scientistA, modelA)).id);
  expectNoErrors(await stack.query(scientistA, `mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { alias } }`, { input: { modelId: modelA, alias: 'production', version: 1 } }));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('refusals', () => {
  it('refuses lesser roles (FORBIDDEN), another tenant by any id (NOT_FOUND, as for an id that never existed) and bad ids (BAD_USER_INPUT); nothing changes', async () => {
    for (const role of ['viewer', 'data_scientist'] as const) {
      const token = await tenantA.token(role);
      expect(errorCodes(await stack.query(token, rotateDataset, { id: datasetA }))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, rotateModel, { id: modelA }))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, datasetKeyQuery, { id: datasetA }))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, retireDataset, { id: datasetA, version: 1 }))).toEqual(['FORBIDDEN']);
    }
    // B's admin: A's dataset and model by their ids, by naming A, and an id nobody holds all answer the same NOT_FOUND.
    const nobody = '00000000-0000-4000-8000-000000000000';
    for (const [query, id] of [
      [rotateDataset, datasetA],
      [datasetKeyQuery, datasetA],
      [rotateModel, modelA],
      [modelKeyQuery, modelA],
      [rotateDataset, nobody],
      [datasetKeyQuery, nobody],
    ] as const) {
      const answer = await stack.query(adminB, query, { id });
      expect(errorCodes(answer)).toEqual(['NOT_FOUND']);
      expect(answer.errors![0]!.message).not.toContain(tenantA.id);
    }
    expect(errorCodes(await stack.query(adminB, retireDataset, { id: datasetA, version: 1 }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(adminB, rotateDataset, { id: datasetA, tenantId: tenantA.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(adminB, datasetKeyQuery, { id: datasetA, tenantId: tenantA.id }))).toEqual(['NOT_FOUND']);
    // A model's id is not a dataset's (each family is its owner's).
    expect(errorCodes(await stack.query(adminA, rotateDataset, { id: modelA }))).toEqual(['NOT_FOUND']);
    for (const id of ['not-an-id', `${datasetA}'--`, 'x'.repeat(300)]) {
      const answer = await stack.query(adminA, rotateDataset, { id });
      expect(errorCodes(answer)).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors![0]!.extensions).toMatchObject({ field: 'id' });
    }
    expect(errorCodes(await stack.query(adminA, retireDataset, { id: datasetA, version: 1 }))).toEqual(['BAD_USER_INPUT']); // the current version
    expect(errorCodes(await stack.query(adminA, retireDataset, { id: datasetA, version: 9 }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(platformAdmin, rotateDataset, { id: datasetA }))).toEqual(['BAD_USER_INPUT']); // names no tenant
    expect(errorCodes(await stack.query(undefined, rotateDataset, { id: datasetA }))).toEqual(['UNAUTHENTICATED']);

    expect(await stack.adminQuery<unknown[]>(`SELECT id FROM ${quoteIdentifier(stack.config.database.controlSchema)}.key_operations`)).toEqual([]);
    expect(await wrappedVersions(tenantA, datasetKeyTable, datasetA)).toEqual([1]);
    expect(await headersOf(tenantA, 'datasets', datasetA)).toEqual([0, 0, 0]);
  });
});

describe('rotating a dataset key', () => {
  it('shows the key: one version, every object under it', async () => {
    const key = expectNoErrors(await stack.query<{ datasetKey: FamilyKeyView }>(adminA, datasetKeyQuery, { id: datasetA })).datasetKey;
    expect(key).toEqual({ id: datasetA, owner: 'DATASET', currentVersion: 1, versions: [{ version: 1, status: 'ACTIVE', objects: 3 }], objectsUnderTenantKey: 0 });
  });

  it('a rotation joins one already running (coalesced, no second version); the run is resumable; reads work at every point; the old key is destroyed at the end', async () => {
    const [objectKey] = await (await scopeOf(tenantA, 'datasets')).bucket.listKeys(`datasets/${datasetA}/`);
    const copy = await rawObject(tenantA, objectKey!);
    // One object per batch, then a pause far longer than this test: the run is surely still RUNNING
    // with objects under both versions when it is stopped (a stop ends the pause at once).
    const slow = rotator(1, 120_000);
    // Two rotations of the same dataset at once: one makes v2 and its run, the other joins it.
    const [first, second] = await Promise.all([slow.rotate(tenantA.id, 'dataset', datasetA, adminPrincipal(tenantA)), slow.rotate(tenantA.id, 'dataset', datasetA, adminPrincipal(tenantA))]);
    expect([first.coalesced, second.coalesced].sort()).toEqual([false, true]);
    expect(second.operation.id).toBe(first.operation.id);
    expect(first.operation).toMatchObject({ tenantId: tenantA.id, kind: 'ROTATE_DATASET_KEY', targetId: datasetA, targetVersion: 2, status: 'RUNNING' });
    // Through the gateway, twice at once, while it runs: both join it.
    const joined = await Promise.all([stack.query<{ rotateDatasetKey: Rotation }>(adminA, rotateDataset, { id: datasetA }), stack.query<{ rotateDatasetKey: Rotation }>(platformAdmin, rotateDataset, { id: datasetA, tenantId: tenantA.id })]);
    for (const answer of joined) expect(expectNoErrors(answer).rotateDatasetKey).toMatchObject({ coalesced: true, operation: { id: first.operation.id }, key: { currentVersion: 2 } });
    expect(await wrappedVersions(tenantA, datasetKeyTable, datasetA)).toEqual([1, 2]);

    // New writes use v2 at once, while the old objects are still under v1.
    datasetVersionsA.push(await uploadDatasetVersion(scientistA, datasetA, csv(6, 4)));
    expect((await headersOf(tenantA, 'datasets', datasetA)).filter((version) => version === familyHeaderVersion(2)).length).toBeGreaterThanOrEqual(1);

    // B cannot watch A's run, and its attempt is recorded like any other id of another tenant's.
    expect(errorCodes(await stack.query(adminB, operationQuery, { id: first.operation.id }))).toEqual(['NOT_FOUND']);
    await settleDeferredRecords();
    await stack.drainAudit(tenantB.id);
    const attempts = await stack.adminQuery<Array<{ target_type: string }>>(`SELECT target_type FROM \`${tenantB.schema}\`.audit_events WHERE action = 'cross_tenant_attempt' AND target_id = ?`, [first.operation.id]);
    expect(attempts).toEqual([{ target_type: 'KeyOperation' }]);
    await waitFor(first.operation.id, adminA, (operation) => operation.reencrypted >= 1);
    await slow.stop();
    const stopped = expectNoErrors(await stack.query<{ keyOperation: Operation }>(adminA, operationQuery, { id: first.operation.id })).keyOperation;
    expect(stopped.status).toBe('RUNNING');
    const mixed = await headersOf(tenantA, 'datasets', datasetA);
    expect(mixed).toContain(0);
    expect(mixed).toContain(familyHeaderVersion(2));
    expect(await readEverything()).toEqual([]);
    const midway = expectNoErrors(await stack.query<{ datasetKey: FamilyKeyView }>(adminA, datasetKeyQuery, { id: datasetA })).datasetKey;
    expect(midway.versions.map((entry) => entry.status)).toEqual(['RETIRED', 'ACTIVE']);

    const restarted = rotator(1, 0);
    restarted.resume();
    const done = await waitFor(first.operation.id, adminA, (operation) => operation.status !== 'RUNNING');
    await restarted.idle();
    expect(done).toMatchObject({ status: 'DONE', remaining: 0, lastError: null, reencrypted: 3 });
    // Every object's header now names v2, and v1's wrapped key is gone.
    expect(await headersOf(tenantA, 'datasets', datasetA)).toEqual([1, 2, 3, 4].map(() => familyHeaderVersion(2)));
    expect(await wrappedVersions(tenantA, datasetKeyTable, datasetA)).toEqual([2]);
    const rows = await stack.adminQuery<Array<{ key_version: number }>>(`SELECT key_version FROM ${quoteIdentifier(tenantA.schema)}.dataset_versions WHERE dataset_id = ?`, [datasetA]);
    expect(rows.map((row) => Number(row.key_version))).toEqual([1, 2, 3, 4].map(() => familyHeaderVersion(2)));
    expect(await readEverything()).toEqual([]);
    // The copy taken before: nothing the platform still holds opens it (v2, the tenant's data keys).
    const scope = await scopeOf(tenantA, 'datasets');
    const held = [await new FamilyKeys(scope, datasetKeyTable).resolver(datasetA)(familyHeaderVersion(2))];
    for (const { version } of await stack.platform.runtime.keyring.versions(tenantA.id)) held.push(await stack.platform.runtime.keyring.keyFor(tenantA.id, version));
    for (const key of held) await expect(decryptBuffer(copy, { resolveKey: async () => key, associatedData: `${tenantA.id}/${objectKey}` })).rejects.toMatchObject({ code: 'OBJECT_TAMPERED' });
    // B's dataset is untouched.
    expect(await headersOf(tenantB, 'datasets', datasetB)).toEqual([0]);
    expect(await wrappedVersions(tenantB, datasetKeyTable, datasetB)).toEqual([1]);
    const previewB = await stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(await tenantB.token('viewer'), `query($id: ID!) { datasetVersion(id: $id) { preview(limit: 1) { rows } } }`, { id: datasetVersionB });
    expect(previewB.data?.datasetVersion.preview.rows).toEqual([['0', '0']]);
  });

  it('explicit retire: refused while objects are under the version (KEY_VERSION_IN_USE), allowed once they are gone', async () => {
    // A rotation whose run is kept from starting: v3 exists, every object is still under v2.
    const paused = rotator(1, 0);
    await paused.stop();
    const rotation = await paused.rotate(tenantA.id, 'dataset', datasetA, adminPrincipal(tenantA));
    expect(rotation.operation.targetVersion).toBe(3);
    const refused = await stack.query(adminA, retireDataset, { id: datasetA, version: 2 });
    expect(errorCodes(refused)).toEqual(['KEY_VERSION_IN_USE']);
    expect(refused.errors![0]!.extensions).toMatchObject({ dependents: 4, version: 2 });
    expect(await wrappedVersions(tenantA, datasetKeyTable, datasetA)).toEqual([2, 3]);
    // The service's own run picks it up when asked again (coalesced) and finishes it.
    const again = expectNoErrors(await stack.query<{ rotateDatasetKey: Rotation }>(adminA, rotateDataset, { id: datasetA })).rotateDatasetKey;
    expect(again).toMatchObject({ coalesced: true, operation: { id: rotation.operation.id } });
    const done = await waitFor(rotation.operation.id, adminA, (operation) => operation.status !== 'RUNNING');
    expect(done).toMatchObject({ status: 'DONE', reencrypted: 4 });
    expect(await wrappedVersions(tenantA, datasetKeyTable, datasetA)).toEqual([3]);
    // Nothing older is left to retire; the current one never is.
    expect(errorCodes(await stack.query(adminA, retireDataset, { id: datasetA, version: 2 }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(adminA, retireDataset, { id: datasetA, version: 3 }))).toEqual(['BAD_USER_INPUT']);
    expect(await readEverything()).toEqual([]);
  });

  it('a rotation through the API (platform admin naming the tenant) moves the objects off every older version and destroys them all', async () => {
    const scope = await scopeOf(tenantA, 'datasets');
    // v4 made by the owner alone (no run): v3 is older, and every object is under it.
    expect(await new FamilyKeys(scope, datasetKeyTable).rotate(datasetA)).toBe(4);
    expect(errorCodes(await stack.query(platformAdmin, retireDataset, { id: datasetA, version: 3, tenantId: tenantA.id }))).toEqual(['KEY_VERSION_IN_USE']);
    const started = expectNoErrors(await stack.query<{ rotateDatasetKey: Rotation }>(platformAdmin, rotateDataset, { id: datasetA, tenantId: tenantA.id })).rotateDatasetKey;
    expect(started).toMatchObject({ coalesced: false, operation: { targetVersion: 5 }, key: { currentVersion: 5 } });
    await waitFor(started.operation.id, platformAdmin, (operation) => operation.status === 'DONE');
    expect(await wrappedVersions(tenantA, datasetKeyTable, datasetA)).toEqual([5]);
    expect(await headersOf(tenantA, 'datasets', datasetA)).toEqual([1, 2, 3, 4].map(() => familyHeaderVersion(5)));
    expect(await readEverything()).toEqual([]);
  });

  it('explicit retire of an older version once its objects are moved (the tenant admin); the key then shows one version', async () => {
    const datasetId = await createDataset(scientistA);
    await uploadDatasetVersion(scientistA, datasetId, csv(3, 1));
    const scope = await scopeOf(tenantA, 'datasets');
    expect(await new FamilyKeys(scope, datasetKeyTable).rotate(datasetId)).toBe(2);
    const actor = adminPrincipal(tenantA);
    expect(await stack.platform.ports.datasets.reencryptFamilyObjects(actor, { familyId: datasetId, targetVersion: 2, batchSize: 10 })).toMatchObject({ reencrypted: 1, remaining: 0 });
    const key = expectNoErrors(await stack.query<{ retireDatasetKeyVersion: FamilyKeyView }>(adminA, retireDataset, { id: datasetId, version: 1 })).retireDatasetKeyVersion;
    expect(key).toEqual({ id: datasetId, owner: 'DATASET', currentVersion: 2, versions: [{ version: 2, status: 'ACTIVE', objects: 1 }], objectsUnderTenantKey: 0 });
    expect(await wrappedVersions(tenantA, datasetKeyTable, datasetId)).toEqual([2]);
    // The owner's port refuses another tenant's actor exactly like an unknown id.
    await expect(stack.platform.ports.datasets.familyKeyStatus(adminPrincipal(tenantB), { familyId: datasetId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(stack.platform.ports.datasets.reencryptFamilyObjects(adminPrincipal(tenantB), { familyId: datasetId, targetVersion: 2, batchSize: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('rotating a model key', () => {
  it('predictions and downloads keep working throughout the run; a version uploaded during it is under the new key at once', async () => {
    const slow = rotator(1, 250);
    const { operation } = await slow.rotate(tenantA.id, 'model', modelA, adminPrincipal(tenantA));
    expect(operation).toMatchObject({ kind: 'ROTATE_MODEL_KEY', targetId: modelA, targetVersion: 2, status: 'RUNNING' });
    const uploaded = await uploadModelVersion(scientistA, modelA);
    modelVersionsA.push(uploaded.id);
    const scope = await scopeOf(tenantA, 'models');
    const [row] = await stack.adminQuery<Array<{ object_key: string }>>(`SELECT object_key FROM ${quoteIdentifier(tenantA.schema)}.model_versions WHERE id = ?`, [uploaded.id]);
    expect(await scope.bucket.headerKeyVersion(row!.object_key)).toBe(familyHeaderVersion(2));
    const failures: string[] = [];
    let rounds = 0;
    let midRun = 0;
    for (;;) {
      const before = expectNoErrors(await stack.query<{ keyOperation: Operation }>(adminA, operationQuery, { id: operation.id })).keyOperation;
      failures.push(...(await readEverything()));
      rounds++;
      if (before.status !== 'RUNNING') break;
      if (before.reencrypted > 0) midRun++;
    }
    await slow.idle();
    expect(failures).toEqual([]);
    expect(midRun).toBeGreaterThanOrEqual(1);
    expect(rounds).toBeGreaterThanOrEqual(2);
    const done = expectNoErrors(await stack.query<{ keyOperation: Operation }>(adminA, operationQuery, { id: operation.id })).keyOperation;
    expect(done).toMatchObject({ status: 'DONE', reencrypted: 3, remaining: 0 });
    expect(await headersOf(tenantA, 'models', modelA)).toEqual([1, 2, 3, 4].map(() => familyHeaderVersion(2)));
    expect(await wrappedVersions(tenantA, modelKeyTable, modelA)).toEqual([2]);
  });

  it('through the API: the tenant admin rotates, the run finishes, the key shows the new version alone', async () => {
    const started = expectNoErrors(await stack.query<{ rotateModelKey: Rotation }>(adminA, rotateModel, { id: modelA })).rotateModelKey;
    expect(started).toMatchObject({ coalesced: false, key: { id: modelA, owner: 'MODEL', currentVersion: 3 }, operation: { kind: 'ROTATE_MODEL_KEY', targetVersion: 3 } });
    await waitFor(started.operation.id, adminA, (operation) => operation.status === 'DONE');
    const key = expectNoErrors(await stack.query<{ modelKey: FamilyKeyView }>(adminA, modelKeyQuery, { id: modelA })).modelKey;
    expect(key).toEqual({ id: modelA, owner: 'MODEL', currentVersion: 3, versions: [{ version: 3, status: 'ACTIVE', objects: 4 }], objectsUnderTenantKey: 0 });
    expect(await readEverything()).toEqual([]);
  });
});

describe('audit', () => {
  it('records rotations, runs and destructions in the tenant chain and the security log', async () => {
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const security = await stack.adminQuery<Array<{ action: string; target_type: string; target_id: string }>>(
      `SELECT action, target_type, target_id FROM ${quoteIdentifier(stack.config.database.controlSchema)}.security_events WHERE tenant_id = ? AND target_type IN ('Dataset', 'Model', 'KeyOperation') AND action LIKE 'key.%' ORDER BY seq`,
      [tenantA.id],
    );
    await stack.drainAudit(tenantA.id);
    const chain = await stack.adminQuery<Array<{ action: string; target_type: string; target_id: string }>>(
      `SELECT action, target_type, target_id FROM ${quoteIdentifier(tenantA.schema)}.audit_events WHERE target_type IN ('Dataset', 'Model', 'KeyOperation') AND action LIKE 'key.%' ORDER BY seq`,
    );
    for (const log of [security, chain]) {
      const of = (targetId: string, action: string) => log.filter((row) => row.target_id === targetId && row.action === action).length;
      // Dataset: three requested rotations (v2, v3, v5); v1, v2, v3 and v4 destroyed by the runs.
      expect(of(datasetA, 'key.rotate')).toBe(3);
      expect(of(datasetA, 'key.destroy')).toBe(4);
      // Model: two rotations, two destructions.
      expect(of(modelA, 'key.rotate')).toBe(2);
      expect(of(modelA, 'key.destroy')).toBe(2);
      expect(log.filter((row) => row.action === 'key.reencrypt.done' && row.target_type === 'KeyOperation').length).toBe(5);
      // The explicit retire.
      expect(log.filter((row) => row.action === 'key.destroy' && row.target_type === 'Dataset').length).toBe(5);
    }
    // Nothing of it in B's chain.
    await stack.drainAudit(tenantB.id);
    expect(await stack.adminQuery<unknown[]>(`SELECT seq FROM ${quoteIdentifier(tenantB.schema)}.audit_events WHERE action LIKE 'key.%' AND target_type IN ('Dataset', 'Model', 'KeyOperation')`)).toEqual([]);
  });
});

/**
 * A family key rotation run read the header of every object of the dataset at every batch
 * (FamilyKeyOperations.reencrypt listed and read them all to pick the batch and count what was
 * left): a dataset of N objects cost about N²/batchSize object reads. 100 objects took 11.8 s on
 * the development platform; 10 000 would have taken hours of continuous reads of the shared object
 * store and datasets service. Now each batch goes on after the previous one's last key, and the run
 * reads each object's header about once (plus the rotation's answer, the final status and the
 * count under the rows' lock). Its own tenant, on this file's stack.
 */
describe('a family key rotation run over many objects', () => {
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
});
