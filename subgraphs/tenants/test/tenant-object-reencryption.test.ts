/**
 * A tenant's objects re-encrypted under its current data key (after a suspected compromise):
 * the run in the objects' owners (datasets, models) through their ports, its progress, resumed
 * after a stop, reads working throughout, and the old version's destruction refused before and
 * allowed after; who may do any of it.
 */
import { randomBytes } from 'node:crypto';
import { drainSecurityOutbox } from '@tessera/audit-client';
import { buildLinearRegression } from '@tessera/onnx';
import { quoteIdentifier } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { ObjectReencryptor } from '../src/domain/object-reencryptor';
// The audit service's own reader of the secret, to show it still opens after the move.
import { openWebhookSecret } from '../../audit/src/domain/webhook-secret';

const operationFields = 'id tenantId kind targetVersion status reencrypted remaining lastError startedAt finishedAt';
const reencrypt = `mutation($tenantId: ID) { reencryptTenantObjects(tenantId: $tenantId) { ${operationFields} } }`;
const operationQuery = `query($id: ID!) { keyOperation(id: $id) { ${operationFields} } }`;
const retire = `mutation($tenantId: ID, $version: Int!) { retireTenantKeyVersion(tenantId: $tenantId, version: $version) { currentVersion versions { version status } } }`;
const rotate = `mutation($tenantId: ID) { rotateTenantKey(tenantId: $tenantId) { currentVersion } }`;

interface Operation {
  id: string;
  tenantId: string;
  targetVersion: number;
  status: 'RUNNING' | 'DONE' | 'FAILED';
  reencrypted: number;
  remaining: number | null;
  lastError: string | null;
}

let stack: TestStack;
let platformAdmin: string;
let tenantA: TestTenant;
let tenantB: TestTenant;
let adminA: string;
let adminB: string;
let scientistA: string;
let viewerA: string;
let modelIdA: string;
let modelVersionA: string;
const datasetVersionsA: string[] = [];
let datasetVersionB: string;
let webhookSecretA: string;
let exportKeyA: string;
const linear = { weights: [0.5, -1.25, 2], bias: 0.75 };
const linearOnnx = buildLinearRegression(linear);
const csv = (n: number) => Buffer.from(['x,y', ...Array.from({ length: n }, (_, i) => `${i},${i * 2}`)].join('\n') + '\n');

async function put(url: string, token: string, body: Buffer, type: string): Promise<void> {
  const response = await fetch(url, { method: 'PUT', headers: { 'content-type': type, authorization: `Bearer ${token}` }, body });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`upload answered ${response.status}`);
}

async function uploadDataset(token: string): Promise<string> {
  const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `d-${randomBytes(3).toString('hex')}` } })).createDataset.id;
  const body = csv(10);
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, { input: { datasetId, filename: 'd.csv', byteSize: body.length } }),
  ).createDatasetUpload;
  await put(upload.uploadUrl, token, body, 'text/csv');
  return expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id })).completeDatasetUpload.id;
}

/**
 * The tenant data-key versions the tenant's datasets and models depend on: each dataset's own key
 * and each model's own key (their objects are under them, header version 0).
 */
async function keyVersionsOfObjects(tenant: TestTenant): Promise<number[]> {
  const schema = quoteIdentifier(tenant.schema);
  const objects = await stack.adminQuery<Array<{ key_version: number }>>(`SELECT key_version FROM ${schema}.dataset_versions UNION ALL SELECT key_version FROM ${schema}.model_versions`);
  expect(objects.every((row) => Number(row.key_version) === 0)).toBe(true);
  const rows = await stack.adminQuery<Array<{ key_version: number }>>(
    `SELECT tenant_key_version AS key_version FROM ${schema}.dataset_keys UNION ALL SELECT tenant_key_version FROM ${schema}.model_keys`,
  );
  return rows.map((row) => Number(row.key_version)).sort();
}

/** The webhook secret's key version, and whether the audit service still opens it to the same secret; the export's header version and its bytes. */
async function auditState(): Promise<{ secretVersion: number; secretOpens: boolean; exportVersion: number | undefined; exportReads: boolean }> {
  const [row] = await stack.adminQuery<Array<{ secret_ciphertext: string; key_version: number }>>(`SELECT secret_ciphertext, key_version FROM ${quoteIdentifier(tenantA.schema)}.alert_webhooks WHERE id = 1`);
  const runtime = stack.platform.runtimes.audit;
  runtime.keyring.forget(tenantA.id);
  const scope = await runtime.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenantA.id, roles: ['admin'], clientId: undefined, requestId: 'test', sourceIp: undefined });
  const secretOpens = (await openWebhookSecret(scope, row!.secret_ciphertext).catch(() => '')) === webhookSecretA;
  const exportReads = (await scope.bucket.getDecryptedBuffer(exportKeyA, scope.resolveDataKey).catch(() => Buffer.alloc(0))).toString('utf8').includes('"action"');
  return { secretVersion: Number(row!.key_version), secretOpens, exportVersion: await scope.bucket.headerKeyVersion(exportKeyA), exportReads };
}

/**
 * Values of the tenant sealed under a data-key version from 1 to `version` (job results, dataset
 * profiles, audit event details): re-sealed by the same run, and counted among a retirement's
 * dependents. Read after a drain, so every event committed so far is chained.
 */
async function sealedUnder(tenant: TestTenant, version: number): Promise<number> {
  await stack.drainAudit(tenant.id);
  const schema = quoteIdentifier(tenant.schema);
  const [row] = await stack.adminQuery<Array<{ n: number | string }>>(
    `SELECT (SELECT COUNT(*) FROM ${schema}.jobs WHERE result_key_version BETWEEN 1 AND ?)
          + (SELECT COUNT(*) FROM ${schema}.dataset_versions WHERE columns_key_version BETWEEN 1 AND ?)
          + (SELECT COUNT(*) FROM ${schema}.dataset_uploads WHERE profile_key_version BETWEEN 1 AND ?)
          + (SELECT COUNT(*) FROM ${schema}.audit_event_details WHERE key_version BETWEEN 1 AND ?) AS n`,
    [version, version, version, version],
  );
  return Number(row?.n ?? 0);
}

async function dataKeyVersions(tenant: TestTenant): Promise<number[]> {
  const rows = await stack.adminQuery<Array<{ version: number }>>(`SELECT version FROM ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_keys WHERE tenant_id = ? ORDER BY version`, [tenant.id]);
  return rows.map((row) => Number(row.version));
}

/** Reads of every object of A, with every service's cached keys dropped first: all must succeed. */
async function readEverything(): Promise<string[]> {
  for (const runtime of Object.values(stack.platform.runtimes)) runtime.keyring.forget(tenantA.id);
  const expected = 1 * linear.weights[0]! + 2 * linear.weights[1]! + 3 * linear.weights[2]! + linear.bias;
  const failures: string[] = [];
  const predict = await stack.query<{ predict: { outputs: Array<{ data: number[] }> } }>(viewerA, `query($input: PredictInput!) { predict(input: $input) { outputs { data } } }`, {
    input: { modelId: modelIdA, alias: 'production', inputs: [{ name: 'input', shape: [1, 3], data: [1, 2, 3] }] },
  });
  if (predict.errors || Math.abs(predict.data!.predict.outputs[0]!.data[0]! - expected) > 1e-4) failures.push(`predict: ${JSON.stringify(predict.errors ?? predict.data)}`);
  const download = await fetch(`${stack.gatewayUrl}/downloads/models/${modelVersionA}`, { headers: { authorization: `Bearer ${scientistA}` } });
  const bytes = Buffer.from(await download.arrayBuffer());
  if (download.status !== 200 || !bytes.equals(Buffer.from(linearOnnx))) failures.push(`download: ${download.status}`);
  for (const id of datasetVersionsA) {
    const preview = await stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(viewerA, `query($id: ID!) { datasetVersion(id: $id) { preview(limit: 3) { rows } } }`, { id });
    if (preview.errors || preview.data!.datasetVersion.preview.rows[2]?.[1] !== '4') failures.push(`preview ${id}: ${JSON.stringify(preview.errors ?? preview.data)}`);
  }
  return failures;
}

function reencryptor(batchSize: number, pauseMs: number): ObjectReencryptor {
  const runtime = stack.platform.runtimes.tenants;
  return new ObjectReencryptor(
    {
      db: runtime.db,
      controlSchema: stack.config.database.controlSchema,
      keyring: runtime.keyring,
      owners: [
        { name: 'datasets', reencryptObjects: (actor, input) => stack.platform.ports.datasets.reencryptObjects(actor, input) },
        { name: 'models', reencryptObjects: (actor, input) => stack.platform.ports.models.reencryptObjects(actor, input) },
        { name: 'jobs', reencryptObjects: (actor, input) => stack.platform.ports.jobs.reencryptObjects(actor, input) },
        { name: 'audit', reencryptObjects: (actor, input) => stack.platform.ports.audit.reencryptObjects(actor, input) },
      ],
      logger: runtime.logger,
      scopes: runtime.scopes,
    },
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

beforeAll(async () => {
  stack = await startTestStack({ alerting: { webhookAllowedPrivateRanges: ['127.0.0.1/32'] } });
  platformAdmin = await stack.platformAdminToken();
  tenantA = await stack.createTenant();
  tenantB = await stack.createTenant();
  adminA = await tenantA.token('admin');
  adminB = await tenantB.token('admin');
  scientistA = await tenantA.token('data_scientist');
  viewerA = await tenantA.token('viewer');
  for (let i = 0; i < 4; i++) datasetVersionsA.push(await uploadDataset(scientistA));
  datasetVersionB = await uploadDataset(await tenantB.token('data_scientist'));
  modelIdA = expectNoErrors(await stack.query<{ createModel: { id: string } }>(scientistA, `mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, { input: { name: 'm' } })).createModel.id;
  const upload = expectNoErrors(
    await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(scientistA, `mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }`, {
      input: { modelId: modelIdA, filename: 'm.onnx', byteSize: linearOnnx.length },
    }),
  ).createModelUpload;
  await put(upload.uploadUrl, scientistA, Buffer.from(linearOnnx), 'application/octet-stream');
  const version = expectNoErrors(await stack.query<{ completeModelUpload: { id: string; number: number } }>(scientistA, `mutation($id: ID!) { completeModelUpload(uploadId: $id) { id number } }`, { id: upload.id })).completeModelUpload;
  modelVersionA = version.id;
  expectNoErrors(await stack.query(scientistA, `mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { alias } }`, { input: { modelId: modelIdA, alias: 'production', version: version.number } }));
  // What the audit service keeps under A's key: the webhook secret and an export (two objects).
  webhookSecretA = expectNoErrors(await stack.query<{ setAlertWebhook: { secret: string } }>(adminA, `mutation($url: String!) { setAlertWebhook(url: $url) { secret } }`, { url: 'http://127.0.0.1:9/hook' })).setAlertWebhook.secret;
  exportKeyA = expectNoErrors(
    await stack.query<{ exportAuditEvents: { objectKey: string } }>(adminA, 'mutation($f: DateTime!, $t: DateTime!) { exportAuditEvents(from: $f, to: $t) { objectKey } }', {
      f: new Date(Date.now() - 3600_000).toISOString(),
      t: new Date(Date.now() + 60_000).toISOString(),
    }),
  ).exportAuditEvents.objectKey;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('refusals', () => {
  it('refuses lesser roles (FORBIDDEN), another tenant\'s admin (NOT_FOUND) and bad input (BAD_USER_INPUT); nothing changes', async () => {
    for (const role of ['viewer', 'data_scientist'] as const) {
      const token = await tenantA.token(role);
      expect(errorCodes(await stack.query(token, reencrypt, {}))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, retire, { version: 1 }))).toEqual(['FORBIDDEN']);
      expect(errorCodes(await stack.query(token, operationQuery, { id: '00000000-0000-4000-8000-000000000000' }))).toEqual(['FORBIDDEN']);
    }
    expect(errorCodes(await stack.query(adminB, reencrypt, { tenantId: tenantA.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(adminB, retire, { tenantId: tenantA.id, version: 1 }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(adminA, retire, { version: 1 }))).toEqual(['BAD_USER_INPUT']); // the current version
    expect(errorCodes(await stack.query(adminA, retire, { version: 7 }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(adminA, operationQuery, { id: 'not-an-id' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(platformAdmin, reencrypt, {}))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(undefined, reencrypt, {}))).toEqual(['UNAUTHENTICATED']);
    const operations = await stack.adminQuery<unknown[]>(`SELECT id FROM ${quoteIdentifier(stack.config.database.controlSchema)}.key_operations`);
    expect(operations).toEqual([]);
    expect(await dataKeyVersions(tenantA)).toEqual([1]);
  });
});

describe('re-encryption after a rotation', () => {
  it('refuses to retire the old version while objects depend on it (KEY_VERSION_IN_USE), nothing destroyed', async () => {
    expect(expectNoErrors(await stack.query<{ rotateTenantKey: { currentVersion: number } }>(adminA, rotate, {})).rotateTenantKey.currentVersion).toBe(2);
    const refused = await stack.query(adminA, retire, { version: 1 });
    expect(errorCodes(refused)).toEqual(['KEY_VERSION_IN_USE']);
    // 4 dataset keys, 1 model key, the webhook secret, the export and its proof; and the sealed values (each version's and upload's profile, the audit details).
    const sealed = await sealedUnder(tenantA, 1);
    expect(sealed).toBeGreaterThanOrEqual(8);
    expect(refused.errors![0]!.extensions).toMatchObject({ dependents: 8 + sealed });
    expect(await auditState()).toEqual({ secretVersion: 1, secretOpens: true, exportVersion: 1, exportReads: true });
    expect(await dataKeyVersions(tenantA)).toEqual([1, 2]);
    expect(await keyVersionsOfObjects(tenantA)).toEqual([1, 1, 1, 1, 1]);
  });

  it('is resumable: a run stopped after its first batches goes on from there in a restarted service; reads work at every point', async () => {
    const sealed = await sealedUnder(tenantA, 1);
    const first = reencryptor(1, 150);
    const started = await first.start(tenantA.id, 'test');
    expect(started).toMatchObject({ tenantId: tenantA.id, targetVersion: 2, status: 'RUNNING', reencrypted: 0 });
    // A tenant admin sees its run; B's admin gets the NOT_FOUND of a run that does not exist.
    await waitFor(started.id, adminA, (operation) => operation.reencrypted >= 2);
    expect(errorCodes(await stack.query(adminB, operationQuery, { id: started.id }))).toEqual(['NOT_FOUND']);
    await first.stop();
    const stopped = expectNoErrors(await stack.query<{ keyOperation: Operation }>(platformAdmin, operationQuery, { id: started.id })).keyOperation;
    expect(stopped.status).toBe('RUNNING');
    const mixed = await keyVersionsOfObjects(tenantA);
    // (The count also covers the audit service's secret and objects, which are not in these tables.)
    expect(mixed.filter((version) => version === 2).length).toBeLessThanOrEqual(stopped.reencrypted);
    expect(stopped.reencrypted).toBeLessThan(8 + sealed);
    expect(mixed).toContain(1);
    expect(await readEverything()).toEqual([]);

    const restarted = reencryptor(1, 0);
    restarted.resume();
    const done = await waitFor(started.id, adminA, (operation) => operation.status !== 'RUNNING');
    await restarted.idle();
    expect(done).toMatchObject({ status: 'DONE', reencrypted: 8 + sealed, remaining: 0, lastError: null });
    expect(await sealedUnder(tenantA, 1)).toBe(0);
    expect(await keyVersionsOfObjects(tenantA)).toEqual([2, 2, 2, 2, 2]);
    expect(await auditState()).toEqual({ secretVersion: 2, secretOpens: true, exportVersion: 2, exportReads: true });
    expect(await readEverything()).toEqual([]);
    expect(await keyVersionsOfObjects(tenantB)).toEqual([1]);
  });

  it('runs through the API (platform admin naming the tenant) while reads keep working, then the old versions can be retired', async () => {
    expect(expectNoErrors(await stack.query<{ rotateTenantKey: { currentVersion: number } }>(platformAdmin, rotate, { tenantId: tenantA.id })).rotateTenantKey.currentVersion).toBe(3);
    const started = expectNoErrors(await stack.query<{ reencryptTenantObjects: Operation }>(platformAdmin, reencrypt, { tenantId: tenantA.id })).reencryptTenantObjects;
    expect(started).toMatchObject({ tenantId: tenantA.id, targetVersion: 3 });
    const failures: string[] = [];
    let operation: Operation;
    for (;;) {
      failures.push(...(await readEverything()));
      operation = expectNoErrors(await stack.query<{ keyOperation: Operation }>(adminA, operationQuery, { id: started.id })).keyOperation;
      if (operation.status !== 'RUNNING') break;
    }
    expect(failures).toEqual([]);
    expect(operation).toMatchObject({ status: 'DONE', remaining: 0 });
    expect(await keyVersionsOfObjects(tenantA)).toEqual([3, 3, 3, 3, 3]);

    const afterOne = expectNoErrors(await stack.query<{ retireTenantKeyVersion: { versions: Array<{ version: number }> } }>(adminA, retire, { version: 1 })).retireTenantKeyVersion;
    expect(afterOne.versions.map((entry) => entry.version)).toEqual([2, 3]);
    expectNoErrors(await stack.query(platformAdmin, retire, { tenantId: tenantA.id, version: 2 }));
    expect(await dataKeyVersions(tenantA)).toEqual([3]);
    expect(await readEverything()).toEqual([]);
    expect(await auditState()).toEqual({ secretVersion: 3, secretOpens: true, exportVersion: 3, exportReads: true });
    // B's key and objects were never touched.
    expect(await dataKeyVersions(tenantB)).toEqual([1]);
    const previewB = await stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(await tenantB.token('viewer'), `query($id: ID!) { datasetVersion(id: $id) { preview(limit: 1) { rows } } }`, { id: datasetVersionB });
    expect(previewB.data?.datasetVersion.preview.rows).toEqual([['0', '0']]);
  });

  it('skips a dataset being deleted; an object under an old tenant key left in the bucket still blocks the retirement (header scan) until it is gone', async () => {
    const leftover = await uploadDataset(scientistA);
    const [row] = await stack.adminQuery<Array<{ dataset_id: string }>>(`SELECT dataset_id FROM ${quoteIdentifier(tenantA.schema)}.dataset_versions WHERE id = ?`, [leftover]);
    const scope = await stack.platform.runtimes.datasets.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenantA.id, roles: ['admin'], clientId: undefined, requestId: 'test', sourceIp: undefined });
    // An object no owner's table lists, directly under the tenant key v3.
    await scope.bucket.putEncryptedBuffer('stray/leftover.bin', Buffer.from('left behind'), await scope.currentDataKey());
    expect(expectNoErrors(await stack.query<{ rotateTenantKey: { currentVersion: number } }>(adminA, rotate, {})).rotateTenantKey.currentVersion).toBe(4);
    // A delete that stopped half-way: the dataset hidden (DELETING), its row and object still there.
    await stack.adminQuery(`UPDATE ${quoteIdentifier(tenantA.schema)}.datasets SET status = 'DELETING' WHERE id = ?`, [row!.dataset_id]);
    const sealed = await sealedUnder(tenantA, 3);
    const started = expectNoErrors(await stack.query<{ reencryptTenantObjects: Operation }>(adminA, reencrypt, {})).reencryptTenantObjects;
    const done = await waitFor(started.id, adminA, (operation) => operation.status !== 'RUNNING');
    // Five dataset keys rewrapped (objects untouched), the model version, the secret, the export and its proof, and the sealed values.
    expect(done).toMatchObject({ status: 'DONE', remaining: 0, reencrypted: 9 + sealed });
    const refused = await stack.query(adminA, retire, { version: 3 });
    expect(errorCodes(refused)).toEqual(['KEY_VERSION_IN_USE']);
    expect(refused.errors![0]!.extensions).toMatchObject({ dependents: 1 });
    expect(await dataKeyVersions(tenantA)).toEqual([3, 4]);
    await scope.bucket.remove('stray/leftover.bin');
    expectNoErrors(await stack.query(adminA, retire, { version: 3 }));
    expect(await dataKeyVersions(tenantA)).toEqual([4]);
    expect(await readEverything()).toEqual([]);
  });

  it('records the run and the destruction in the tenant chain and the security log', async () => {
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const security = await stack.adminQuery<Array<{ action: string; target_id: string }>>(
      `SELECT action, target_id FROM ${quoteIdentifier(stack.config.database.controlSchema)}.security_events WHERE tenant_id = ? AND action LIKE 'key.%' ORDER BY seq`,
      [tenantA.id],
    );
    const expected = ['key.rotate', 'key.reencrypt.done', 'key.rotate', 'key.reencrypt.done', 'key.destroy', 'key.destroy', 'key.rotate', 'key.reencrypt.done', 'key.destroy'];
    expect(security.map((row) => row.action)).toEqual(expected);
    await stack.drainAudit(tenantA.id);
    const chain = await stack.adminQuery<Array<{ action: string }>>(`SELECT action FROM ${quoteIdentifier(tenantA.schema)}.audit_events WHERE action LIKE 'key.%' ORDER BY seq`);
    expect(chain.map((row) => row.action)).toEqual(expected);
  });
});

describe('re-encryption requested several times at once', () => {
  it('four requests at once start one run and all return it (each started its own run over the same objects)', async () => {
    const tenant = await stack.createTenant();
    expectNoErrors(await stack.query(platformAdmin, rotate, { tenantId: tenant.id }));
    const answers = await Promise.all(Array.from({ length: 4 }, () => stack.query<{ reencryptTenantObjects: Operation }>(platformAdmin, reencrypt, { tenantId: tenant.id })));
    expect(answers.map(errorCodes)).toEqual(Array.from({ length: 4 }, () => []));
    expect(new Set(answers.map((answer) => answer.data!.reencryptTenantObjects.id)).size).toBe(1);
    const runs = await stack.adminQuery<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(stack.config.database.controlSchema)}.key_operations WHERE tenant_id = ? AND kind = 'REENCRYPT'`, [tenant.id]);
    expect(Number(runs[0]!.n)).toBe(1);
  });
});

describe('a suspended tenant', () => {
  it('has its key rotated, but re-encryption and retirement are refused up front (CONFLICT, TENANT_SUSPENDED), no run started; resumed, both work', async () => {
    const tenant = await stack.createTenant();
    expectNoErrors(await stack.query(platformAdmin, 'mutation($id: ID!) { suspendTenant(id: $id) { id } }', { id: tenant.id }));
    expect(errorCodes(await stack.query(platformAdmin, rotate, { tenantId: tenant.id }))).toEqual([]);
    for (const [mutation, variables] of [[reencrypt, { tenantId: tenant.id }], [retire, { tenantId: tenant.id, version: 1 }]] as const) {
      const refused = await stack.query(platformAdmin, mutation, variables);
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'TENANT_SUSPENDED' });
    }
    const runs = await stack.adminQuery<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM ${quoteIdentifier(stack.config.database.controlSchema)}.key_operations WHERE tenant_id = ?`, [tenant.id]);
    expect(Number(runs[0]!.n)).toBe(0);
    expectNoErrors(await stack.query(platformAdmin, 'mutation($id: ID!) { resumeTenant(id: $id) { id } }', { id: tenant.id }));
    expect(errorCodes(await stack.query(platformAdmin, reencrypt, { tenantId: tenant.id }))).toEqual([]);
  });
});
