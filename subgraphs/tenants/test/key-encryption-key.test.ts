/**
 * The platform's key-encryption key (KEK) through the gateway: status, rotation with the background
 * rewrap while tenants keep working, retirement refused while data keys depend on a version,
 * destruction, who may do any of it, and the audit trail of every key event. The key provider is
 * the stack's own local key service (a real process speaking Vault's transit API).
 */
import { randomBytes } from 'node:crypto';
import { drainSecurityOutbox } from '@tessera/audit-client';
import { isKeyProviderError } from '@tessera/key-provider';
import { buildLinearRegression } from '@tessera/onnx';
import { dataKeyContext, quoteIdentifier, tenantKeyName } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, withAuditDetails, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';

const statusFields = `provider keyName latestVersion minDecryptionVersion minAvailableVersion legacyWrappedDataKeys
  versions { version createdAt wrappedDataKeys retired }
  rewrap { id targetVersion status rewrapped failed remaining lastError startedAt finishedAt }`;
const statusQuery = `query { keyEncryptionKeyStatus { ${statusFields} } }`;
const rotateMutation = `mutation { rotateKeyEncryptionKey { ${statusFields} } }`;
const rewrapMutation = `mutation { rewrapDataKeys { ${statusFields} } }`;
const retireMutation = `mutation($version: Int!) { retireKeyEncryptionKeyVersion(version: $version) { ${statusFields} } }`;
const destroyMutation = `mutation($version: Int!) { destroyKeyEncryptionKeyVersion(version: $version) { ${statusFields} } }`;

interface KekStatus {
  provider: string;
  keyName: string;
  latestVersion: number;
  minDecryptionVersion: number;
  minAvailableVersion: number;
  legacyWrappedDataKeys: number;
  versions: Array<{ version: number; createdAt: string; wrappedDataKeys: number; retired: boolean }>;
  rewrap: { id: string; targetVersion: number; status: 'RUNNING' | 'DONE' | 'FAILED'; rewrapped: number; failed: number; remaining: number; lastError: string | null; startedAt: string; finishedAt: string | null } | null;
}

let stack: TestStack;
let admin: string;
let tenantA: TestTenant;
let tenantB: TestTenant;
let scientistA: string;
let viewerA: string;
let datasetVersionA: string;
let modelVersionA: string;
let modelIdA: string;
const linear = { weights: [0.5, -1.25, 2], bias: 0.75 };
const linearOnnx = buildLinearRegression(linear);

async function status(): Promise<KekStatus> {
  return expectNoErrors(await stack.query<{ keyEncryptionKeyStatus: KekStatus }>(admin, statusQuery)).keyEncryptionKeyStatus;
}

async function waitForRewrap(): Promise<KekStatus> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const current = await status();
    if (current.rewrap && current.rewrap.status !== 'RUNNING') return current;
    if (Date.now() > deadline) throw new Error(`rewrap still running: ${JSON.stringify(current.rewrap)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function keyRows(): Promise<Array<{ tenant_id: string; version: number; wrapped_key: string; kek_version: number | null }>> {
  return stack.adminQuery(`SELECT tenant_id, version, wrapped_key, kek_version FROM ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_keys ORDER BY tenant_id, version`);
}

/** Every process's cached data keys dropped: the next read of each goes to the key provider. */
function forgetCachedKeys(): void {
  for (const runtime of [...Object.values(stack.platform.runtimes), stack.platform.runtime]) for (const tenant of [tenantA, tenantB]) runtime.keyring.forget(tenant.id);
}

async function putBytes(url: string, token: string, body: Buffer, contentType: string): Promise<number> {
  const response = await fetch(url, { method: 'PUT', headers: { 'content-type': contentType, authorization: `Bearer ${token}` }, body });
  await response.arrayBuffer();
  return response.status;
}

async function uploadDatasetVersion(token: string, datasetId: string, csv: Buffer): Promise<string> {
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, {
      input: { datasetId, filename: 'data.csv', byteSize: csv.length },
    }),
  ).createDatasetUpload;
  const status = await putBytes(upload.uploadUrl, token, csv, 'text/csv');
  if (status !== 200) throw new Error(`dataset upload answered ${status}`);
  return expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id })).completeDatasetUpload.id;
}

async function uploadModelVersion(token: string, modelId: string, onnx: Uint8Array): Promise<{ id: string; number: number }> {
  const upload = expectNoErrors(
    await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }`, {
      input: { modelId, filename: 'model.onnx', byteSize: onnx.length },
    }),
  ).createModelUpload;
  const status = await putBytes(upload.uploadUrl, token, Buffer.from(onnx), 'application/octet-stream');
  if (status !== 200) throw new Error(`model upload answered ${status}`);
  return expectNoErrors(await stack.query<{ completeModelUpload: { id: string; number: number } }>(token, `mutation($id: ID!) { completeModelUpload(uploadId: $id) { id number } }`, { id: upload.id })).completeModelUpload;
}

const csv = (rows: number) => Buffer.from(['x,y', ...Array.from({ length: rows }, (_, i) => `${i},${i * 2}`)].join('\n') + '\n');

/** One round of what tenants do all day, all at once: a prediction, a dataset read (decrypted preview), a model download, a dataset upload. */
async function tenantWorkload(round: number): Promise<string[]> {
  forgetCachedKeys();
  const expected = 1 * linear.weights[0]! + 2 * linear.weights[1]! + 3 * linear.weights[2]! + linear.bias;
  const outcomes = await Promise.all([
    (async () => {
      const predict = await stack.query<{ predict: { outputs: Array<{ data: number[] }> } }>(viewerA, `query($input: PredictInput!) { predict(input: $input) { outputs { data } } }`, {
        input: { modelId: modelIdA, alias: 'production', inputs: [{ name: 'input', shape: [1, 3], data: [1, 2, 3] }] },
      });
      return predict.errors || Math.abs(predict.data!.predict.outputs[0]!.data[0]! - expected) > 1e-4 ? `predict ${round}: ${JSON.stringify(predict.errors ?? predict.data)}` : undefined;
    })(),
    (async () => {
      const preview = await stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(viewerA, `query($id: ID!) { datasetVersion(id: $id) { preview(limit: 2) { rows } } }`, { id: datasetVersionA });
      return preview.errors || preview.data!.datasetVersion.preview.rows[1]?.[1] !== '2' ? `dataset read ${round}: ${JSON.stringify(preview.errors ?? preview.data)}` : undefined;
    })(),
    (async () => {
      const download = await fetch(`${stack.gatewayUrl}/downloads/models/${modelVersionA}`, { headers: { authorization: `Bearer ${scientistA}` } });
      const bytes = Buffer.from(await download.arrayBuffer());
      return download.status !== 200 || !bytes.equals(Buffer.from(linearOnnx)) ? `model download ${round}: ${download.status}` : undefined;
    })(),
    (async () => {
      try {
        const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(scientistA, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: `load-${round}-${randomBytes(3).toString('hex')}` } })).createDataset.id;
        await uploadDatasetVersion(scientistA, datasetId, csv(5));
        return undefined;
      } catch (error) {
        return `dataset upload ${round}: ${error instanceof Error ? error.message : String(error)}`;
      }
    })(),
  ]);
  return outcomes.filter((outcome): outcome is string => outcome !== undefined);
}

beforeAll(async () => {
  // A slow rewrap (one key per batch, a pause between batches), so the workload runs while it does
  // and provisioning a tenant in the middle (a dozen tenant-schema migrations) does not outlast it.
  stack = await startTestStack({ keyRewrap: { batchSize: 1, pauseMs: 1000 } });
  admin = await stack.platformAdminToken();
  tenantA = await stack.createTenant();
  tenantB = await stack.createTenant();
  scientistA = await tenantA.token('data_scientist');
  viewerA = await tenantA.token('viewer');
  const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(scientistA, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name: 'kek-data' } })).createDataset.id;
  datasetVersionA = await uploadDatasetVersion(scientistA, datasetId, csv(20));
  modelIdA = expectNoErrors(await stack.query<{ createModel: { id: string } }>(scientistA, `mutation($input: CreateModelInput!) { createModel(input: $input) { id } }`, { input: { name: 'kek-model' } })).createModel.id;
  const version = await uploadModelVersion(scientistA, modelIdA, linearOnnx);
  modelVersionA = version.id;
  expectNoErrors(await stack.query(scientistA, `mutation($input: SetModelAliasInput!) { setModelAlias(input: $input) { alias } }`, { input: { modelId: modelIdA, alias: 'production', version: version.number } }));
  // Older data-key versions too: every one of them is wrapped, and the rewrap moves them all.
  for (let i = 0; i < 3; i++) {
    await stack.platform.runtimes.tenants.keyring.rotate(tenantA.id);
    await stack.platform.runtimes.tenants.keyring.rotate(tenantB.id);
  }
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('who may manage the key-encryption key', () => {
  it.each(['admin', 'data_scientist', 'viewer'] as const)("refuses a tenant's %s (FORBIDDEN) on every KEK field", async (role) => {
    const token = await tenantA.token(role);
    for (const [query, variables] of [[statusQuery, {}], [rotateMutation, {}], [rewrapMutation, {}], [retireMutation, { version: 1 }], [destroyMutation, { version: 1 }]] as const) {
      expect({ query: query.slice(0, 40), codes: errorCodes(await stack.query(token, query, variables)) }).toEqual({ query: query.slice(0, 40), codes: ['FORBIDDEN'] });
    }
    expect((await status()).latestVersion).toBe(1);
  });

  it('refuses an anonymous caller (UNAUTHENTICATED)', async () => {
    expect(errorCodes(await stack.query(undefined, rotateMutation))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('status', () => {
  it("lists the KEK's versions and how many tenant data keys each one wraps", async () => {
    const current = await status();
    const rows = await keyRows();
    expect(current).toMatchObject({ provider: 'vault-transit', keyName: 'tessera', latestVersion: 1, minDecryptionVersion: 1, legacyWrappedDataKeys: 0, rewrap: null });
    expect(current.versions).toEqual([{ version: 1, createdAt: expect.any(String), wrappedDataKeys: rows.length, retired: false }]);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows.every((row) => row.kek_version === 1 && row.wrapped_key.startsWith('vault:v1:'))).toBe(true);
  });

  it("does not open a wrapped data key moved to another tenant's row", async () => {
    const rows = await keyRows();
    const a = rows.find((row) => row.tenant_id === tenantA.id && row.version === 1)!;
    const provider = stack.platform.runtime.keyProvider!;
    const error = await provider.unwrap(a.wrapped_key, dataKeyContext(tenantB.id, 1)).catch((caught: unknown) => caught);
    expect(isKeyProviderError(error) ? error.code : error).toBe('KEY_UNWRAP_FAILED');
    const inner = (await provider.unwrap(a.wrapped_key, dataKeyContext(tenantA.id, 1))).toString('utf8');
    expect(await provider.withKey(tenantKeyName(tenantA.id)).unwrap(inner, dataKeyContext(tenantA.id, 1))).toHaveLength(32);
    // Nor does the inner layer open under another tenant's own key.
    const inB = await provider.withKey(tenantKeyName(tenantB.id)).unwrap(inner, dataKeyContext(tenantA.id, 1)).catch((caught: unknown) => caught);
    expect(isKeyProviderError(inB) ? inB.code : inB).toBe('KEY_UNWRAP_FAILED');
  });
});

describe('rotation, rewrap and retirement', () => {
  let before: Awaited<ReturnType<typeof keyRows>>;
  let dataKeysBefore: Map<string, Buffer>;

  it('rotates: new wraps use the new version at once; retiring the old one is refused while keys depend on it; tenants keep working while the rewrap runs', async () => {
    before = await keyRows();
    dataKeysBefore = new Map();
    forgetCachedKeys();
    for (const row of before) dataKeysBefore.set(`${row.tenant_id}#${row.version}`, await stack.platform.runtime.keyring.keyFor(row.tenant_id, row.version));
    // The workload works before the rotation (the loop below must not pass because nothing ran).
    expect(await tenantWorkload(0)).toEqual([]);

    const rotated = expectNoErrors(await stack.query<{ rotateKeyEncryptionKey: KekStatus }>(admin, rotateMutation)).rotateKeyEncryptionKey;
    expect(rotated.latestVersion).toBe(2);
    expect(rotated.versions.map((version) => version.version)).toEqual([1, 2]);
    expect(rotated.rewrap).toMatchObject({ targetVersion: 2, status: 'RUNNING' });

    // New wraps use version 2 at once: a data-key rotation and a new tenant.
    expect(await stack.platform.runtimes.tenants.keyring.rotate(tenantB.id)).toBe(5);
    const tenantC = await stack.createTenant();
    const fresh = (await keyRows()).filter((row) => row.tenant_id === tenantC.id || (row.tenant_id === tenantB.id && row.version === 5));
    expect(fresh.map((row) => row.kek_version)).toEqual([2, 2]);
    expect(fresh.every((row) => row.wrapped_key.startsWith('vault:v2:'))).toBe(true);

    // Retiring version 1 now is refused: data keys still depend on it.
    const refused = await stack.query(admin, retireMutation, { version: 1 });
    expect(errorCodes(refused)).toEqual(['KEY_VERSION_IN_USE']);
    expect(refused.errors?.[0]?.extensions?.['dependents']).toBeGreaterThan(0);

    // Predictions, dataset reads, model downloads and dataset uploads, round after round, while the rewrap runs.
    const failures: string[] = [];
    let roundsWhileRunning = 0;
    let sawPartial = false;
    for (let round = 1; round <= 200; round++) {
      const current = await status();
      if (current.rewrap?.status !== 'RUNNING') break;
      if (current.rewrap.rewrapped > 0 && current.rewrap.remaining > 0) sawPartial = true;
      failures.push(...(await tenantWorkload(round)));
      roundsWhileRunning += 1;
    }
    expect(failures).toEqual([]);
    expect(roundsWhileRunning).toBeGreaterThanOrEqual(5);
    // The loop ran with some keys moved and others not yet: both versions were in use at once.
    expect(sawPartial).toBe(true);

    const done = await waitForRewrap();
    expect(done.rewrap).toMatchObject({ status: 'DONE', targetVersion: 2, failed: 0, remaining: 0, lastError: null, finishedAt: expect.any(String) });
    expect(done.rewrap!.rewrapped).toBe(before.length);
    const after = await keyRows();
    expect(after.every((row) => row.kek_version === 2 && row.wrapped_key.startsWith('vault:v2:'))).toBe(true);
    expect(done.versions).toEqual([
      { version: 1, createdAt: expect.any(String), wrappedDataKeys: 0, retired: false },
      { version: 2, createdAt: expect.any(String), wrappedDataKeys: after.length, retired: false },
    ]);
    // The data keys themselves did not change: nothing had to be re-encrypted.
    forgetCachedKeys();
    for (const row of before) expect((await stack.platform.runtime.keyring.keyFor(row.tenant_id, row.version)).equals(dataKeysBefore.get(`${row.tenant_id}#${row.version}`)!)).toBe(true);
    expect(await tenantWorkload(999)).toEqual([]);
    await stack.platform.provisioner.deprovision(tenantC.id);
  }, 120_000);

  it('retires version 1 once nothing depends on it: its old wraps no longer open, tenants keep working', async () => {
    expect(errorCodes(await stack.query(admin, retireMutation, { version: 2 }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(admin, retireMutation, { version: 7 }))).toEqual(['BAD_USER_INPUT']);
    const retired = expectNoErrors(await stack.query<{ retireKeyEncryptionKeyVersion: KekStatus }>(admin, retireMutation, { version: 1 })).retireKeyEncryptionKeyVersion;
    expect(retired).toMatchObject({ minDecryptionVersion: 2, latestVersion: 2 });
    expect(retired.versions.map((version) => ({ version: version.version, retired: version.retired }))).toEqual([
      { version: 1, retired: true },
      { version: 2, retired: false },
    ]);
    const old = before.find((row) => row.tenant_id === tenantA.id)!;
    const error = await stack.platform.runtime.keyProvider!.unwrap(old.wrapped_key, dataKeyContext(old.tenant_id, old.version)).catch((caught: unknown) => caught);
    expect(isKeyProviderError(error) ? error.code : error).toBe('KEY_VERSION_RETIRED');
    expect(await tenantWorkload(1000)).toEqual([]);
  });

  it('destroys only retired versions, and refuses while a wrapped key would depend on one', async () => {
    expect(errorCodes(await stack.query(admin, destroyMutation, { version: 2 }))).toEqual(['BAD_USER_INPUT']);
    // A row still wrapped by version 1 (restored from a backup, say) blocks the destruction.
    const table = `${quoteIdentifier(stack.config.database.controlSchema)}.tenant_keys`;
    const old = before.find((row) => row.tenant_id === tenantB.id && row.version === 1)!;
    const current = (await keyRows()).find((row) => row.tenant_id === tenantB.id && row.version === 1)!;
    await stack.adminQuery(`UPDATE ${table} SET wrapped_key = ?, kek_version = 1 WHERE tenant_id = ? AND version = 1`, [old.wrapped_key, tenantB.id]);
    const refused = await stack.query(admin, destroyMutation, { version: 1 });
    expect(errorCodes(refused)).toEqual(['KEY_VERSION_IN_USE']);
    expect(refused.errors?.[0]?.extensions?.['dependents']).toBe(1);
    await stack.adminQuery(`UPDATE ${table} SET wrapped_key = ?, kek_version = 2 WHERE tenant_id = ? AND version = 1`, [current.wrapped_key, tenantB.id]);

    const destroyed = expectNoErrors(await stack.query<{ destroyKeyEncryptionKeyVersion: KekStatus }>(admin, destroyMutation, { version: 1 })).destroyKeyEncryptionKeyVersion;
    expect(destroyed).toMatchObject({ minAvailableVersion: 2, minDecryptionVersion: 2 });
    expect(destroyed.versions.map((version) => version.version)).toEqual([2]);
    expect(await tenantWorkload(1001)).toEqual([]);
  });

  it('records every key event: KEK changes in the platform security log, each data key moved in its tenant\'s chain and the security log', async () => {
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const control = quoteIdentifier(stack.config.database.controlSchema);
    const security = await stack.adminQuery<Array<{ action: string; tenant_id: string | null; target_id: string; actor_subject: string; details_json: string | null }>>(
      `SELECT action, tenant_id, target_id, actor_subject, details_json FROM ${control}.security_events WHERE action LIKE 'kek.%' OR action LIKE 'key.%' ORDER BY seq`,
    );
    const kek = security.filter((row) => row.action.startsWith('kek.'));
    expect(kek.map((row) => ({ action: row.action, tenant: row.tenant_id, target: row.target_id }))).toEqual([
      { action: 'kek.rotate', tenant: null, target: 'tessera/v2' },
      { action: 'kek.rewrap', tenant: null, target: 'tessera/v2' },
      { action: 'kek.retire', tenant: null, target: 'tessera/v1' },
      { action: 'kek.destroy', tenant: null, target: 'tessera/v1' },
    ]);
    // The refused retire and destroy changed nothing and recorded no success.
    const rewrapsA = security.filter((row) => row.action === 'key.rewrap' && row.tenant_id === tenantA.id);
    expect(rewrapsA).toHaveLength(before.filter((row) => row.tenant_id === tenantA.id).length);
    expect(security.filter((row) => row.tenant_id === tenantA.id).map((row) => row.action)).toEqual(expect.arrayContaining(['key.rotate', 'key.rewrap']));

    await stack.drainAudit(tenantA.id);
    const chain = await withAuditDetails(
      stack,
      tenantA.id,
      await stack.adminQuery<Array<{ seq: number; action: string; target_id: string; details_json: unknown }>>(
        `SELECT seq, action, target_id, details_json FROM ${quoteIdentifier(tenantA.schema)}.audit_events WHERE action LIKE 'key.%' ORDER BY seq`,
      ),
    );
    // (The harness provisions below the API: no tenant.provision/key.create; audit-coverage checks those.)
    expect(chain.map((row) => row.action)).toEqual(['key.rotate', 'key.rotate', 'key.rotate', ...before.filter((row) => row.tenant_id === tenantA.id).map(() => 'key.rewrap')]);
    const rewrap = chain.find((row) => row.action === 'key.rewrap')!;
    const details: unknown = typeof rewrap.details_json === 'string' ? JSON.parse(rewrap.details_json) : rewrap.details_json;
    expect(details).toMatchObject({ fromKekVersion: 1, kekVersion: 2 });
    // B's moves are in B's chain, not in A's.
    expect(chain.length).toBe(3 + before.filter((row) => row.tenant_id === tenantA.id).length);
  });
});
