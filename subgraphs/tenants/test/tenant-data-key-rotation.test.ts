/**
 * A tenant's data-key rotation through the gateway: on demand by the tenant's admin (or a platform
 * admin naming the tenant), refused across tenants and to lesser roles, new objects under the new
 * version at once while old ones keep decrypting, audited in both logs; and the scheduled rotation
 * by `keyRotationDays`, which two replicas checking at once perform once.
 */
import { drainSecurityOutbox } from '@tessera/audit-client';
import { quoteIdentifier } from '@tessera/tenancy';
import { ScheduledKeyRotation } from '../src/domain/scheduled-key-rotation';
import { maxRequestedKeyVersions } from '../src/domain/tenant-data-key.service';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

const fields = 'tenantId currentVersion rotationDays nextRotationAt versions { version status kekVersion createdAt }';
const rotate = `mutation($tenantId: ID) { rotateTenantKey(tenantId: $tenantId) { ${fields} } }`;
const keysQuery = `query($tenantId: ID) { tenantDataKeys(tenantId: $tenantId) { ${fields} } }`;

interface DataKeys {
  tenantId: string;
  currentVersion: number;
  rotationDays: number;
  nextRotationAt: string;
  versions: Array<{ version: number; status: string; kekVersion: number | null; createdAt: string }>;
}

let stack: TestStack;
let platformAdmin: string;
let tenantA: TestTenant;
let tenantB: TestTenant;
let adminA: string;
let adminB: string;
let scientistA: string;

async function keyVersions(tenant: TestTenant): Promise<Array<{ version: number; status: string }>> {
  return stack.adminQuery(`SELECT version, status FROM ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_keys WHERE tenant_id = ? ORDER BY version`, [tenant.id]);
}

async function uploadDatasetVersion(token: string, name: string, csv: string): Promise<string> {
  const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name } })).createDataset.id;
  const body = Buffer.from(csv);
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, {
      input: { datasetId, filename: 'data.csv', byteSize: body.length },
    }),
  ).createDatasetUpload;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body });
  await put.arrayBuffer();
  if (put.status !== 200) throw new Error(`upload answered ${put.status}`);
  return expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id })).completeDatasetUpload.id;
}

async function preview(token: string, versionId: string): Promise<string[][]> {
  return expectNoErrors(await stack.query<{ datasetVersion: { preview: { rows: string[][] } } }>(token, `query($id: ID!) { datasetVersion(id: $id) { preview(limit: 5) { rows } } }`, { id: versionId }))
    .datasetVersion.preview.rows;
}

/** The tenant data-key version a dataset version depends on: the one wrapping its dataset's own key (its object is under that key). */
async function storedKeyVersion(tenant: TestTenant, versionId: string): Promise<number> {
  const schema = quoteIdentifier(tenant.schema);
  const rows = await stack.adminQuery<Array<{ key_version: number }>>(
    `SELECT k.tenant_key_version AS key_version FROM ${schema}.dataset_versions v JOIN ${schema}.dataset_keys k ON k.dataset_id = v.dataset_id WHERE v.id = ?`,
    [versionId],
  );
  return Number(rows[0]!.key_version);
}

beforeAll(async () => {
  stack = await startTestStack();
  platformAdmin = await stack.platformAdminToken();
  tenantA = await stack.createTenant();
  tenantB = await stack.createTenant();
  adminA = await tenantA.token('admin');
  adminB = await tenantB.token('admin');
  scientistA = await tenantA.token('data_scientist');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('who may rotate a tenant data key', () => {
  it.each(['viewer', 'data_scientist'] as const)("refuses A's %s (FORBIDDEN), nothing rotated", async (role) => {
    const token = await tenantA.token(role);
    expect(errorCodes(await stack.query(token, rotate, {}))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await stack.query(token, keysQuery, {}))).toEqual(['FORBIDDEN']);
    expect(await keyVersions(tenantA)).toEqual([{ version: 1, status: 'ACTIVE' }]);
  });

  it("refuses B's admin on A's key with the NOT_FOUND of a tenant that does not exist; B's own key is untouched too", async () => {
    expect(errorCodes(await stack.query(adminB, rotate, { tenantId: tenantA.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(adminB, keysQuery, { tenantId: tenantA.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(adminB, rotate, { tenantId: 'no-such-tenant' }))).toEqual(['NOT_FOUND']);
    expect(await keyVersions(tenantA)).toEqual([{ version: 1, status: 'ACTIVE' }]);
    expect(await keyVersions(tenantB)).toEqual([{ version: 1, status: 'ACTIVE' }]);
  });

  it('refuses bad input with BAD_USER_INPUT and an anonymous caller with UNAUTHENTICATED, nothing rotated', async () => {
    expect(errorCodes(await stack.query(platformAdmin, rotate, {}))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(platformAdmin, rotate, { tenantId: 'Not A Tenant!' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(platformAdmin, rotate, { tenantId: 'absent-tenant' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(adminA, rotate, { tenantId: 'Not A Tenant!' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(undefined, rotate, {}))).toEqual(['UNAUTHENTICATED']);
    expect(await keyVersions(tenantA)).toEqual([{ version: 1, status: 'ACTIVE' }]);
  });
});

describe('rotation on demand', () => {
  it("rotates A's key for A's admin: new objects use the new version at once, old ones keep decrypting", async () => {
    const before = await uploadDatasetVersion(scientistA, 'before-rotation', 'x,y\n1,2\n');
    expect(await storedKeyVersion(tenantA, before)).toBe(1);
    // The datasets service has A's v1 cached: the new version must still be used for the next write.
    expect(await preview(scientistA, before)).toEqual([['1', '2']]);

    const rotated = expectNoErrors(await stack.query<{ rotateTenantKey: DataKeys }>(adminA, rotate, {})).rotateTenantKey;
    expect(rotated).toMatchObject({ tenantId: tenantA.id, currentVersion: 2, rotationDays: 90 });
    expect(rotated.versions.map(({ version, status }) => ({ version, status }))).toEqual([
      { version: 1, status: 'RETIRED' },
      { version: 2, status: 'ACTIVE' },
    ]);
    expect(rotated.versions.every((version) => version.kekVersion === 1)).toBe(true);
    expect(Date.parse(rotated.nextRotationAt) - Date.parse(rotated.versions[1]!.createdAt)).toBe(90 * 24 * 3600 * 1000);

    const after = await uploadDatasetVersion(scientistA, 'after-rotation', 'x,y\n3,4\n');
    expect(await storedKeyVersion(tenantA, after)).toBe(2);
    expect(await preview(scientistA, after)).toEqual([['3', '4']]);
    expect(await preview(scientistA, before)).toEqual([['1', '2']]);
    expect(await keyVersions(tenantB)).toEqual([{ version: 1, status: 'ACTIVE' }]);
  });

  it("rotates a named tenant's key for a platform admin, and shows it to the tenant's admin", async () => {
    const rotated = expectNoErrors(await stack.query<{ rotateTenantKey: DataKeys }>(platformAdmin, rotate, { tenantId: tenantB.id })).rotateTenantKey;
    expect(rotated).toMatchObject({ tenantId: tenantB.id, currentVersion: 2 });
    const seen = expectNoErrors(await stack.query<{ tenantDataKeys: DataKeys }>(adminB, keysQuery, {})).tenantDataKeys;
    expect(seen).toMatchObject({ tenantId: tenantB.id, currentVersion: 2 });
    expect(seen.versions).toHaveLength(2);
  });

  it('records each rotation in the tenant chain and the platform security log, with the admin as actor', async () => {
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const security = await stack.adminQuery<Array<{ tenant_id: string; target_id: string; actor_subject: string; details_json: unknown }>>(
      `SELECT tenant_id, target_id, actor_subject, details_json FROM ${quoteIdentifier(stack.config.database.controlSchema)}.security_events WHERE action = 'key.rotate' ORDER BY seq`,
    );
    expect(security.map((row) => [row.tenant_id, row.target_id])).toEqual([
      [tenantA.id, 'v2'],
      [tenantB.id, 'v2'],
    ]);
    expect(security.every((row) => row.actor_subject !== 'system:keyring')).toBe(true);
    expect(parse(security[0]!.details_json)).toMatchObject({ version: 2, kekVersion: 1, reason: 'requested' });

    await stack.drainAudit(tenantA.id);
    const chain = await stack.adminQuery<Array<{ action: string; target_id: string }>>(`SELECT action, target_id FROM ${quoteIdentifier(tenantA.schema)}.audit_events WHERE action LIKE 'key.%' ORDER BY seq`);
    expect(chain).toEqual([{ action: 'key.rotate', target_id: 'v2' }]);
  });
});

describe('rotations at the same time', () => {
  it('five rotations of one tenant at once each succeed, one after another: consecutive versions, exactly one ACTIVE (they deadlocked: INTERNAL_SERVER_ERROR)', async () => {
    const tenant = await stack.createTenant();
    const answers = await Promise.all(Array.from({ length: 5 }, () => stack.query<{ rotateTenantKey: DataKeys }>(platformAdmin, rotate, { tenantId: tenant.id })));
    expect(answers.map(errorCodes)).toEqual(Array.from({ length: 5 }, () => []));
    // Each answer reads the keys after its rotation: a later one may already have moved the current version on.
    for (const answer of answers) expect([2, 3, 4, 5, 6]).toContain(answer.data!.rotateTenantKey.currentVersion);
    expect(await keyVersions(tenant)).toEqual([1, 2, 3, 4, 5, 6].map((version) => ({ version, status: version === 6 ? 'ACTIVE' : 'RETIRED' })));
  });
});

describe('scheduled rotation', () => {
  function replica(): ScheduledKeyRotation {
    const runtime = stack.platform.runtimes.tenants;
    return new ScheduledKeyRotation({ db: runtime.db, controlSchema: stack.config.database.controlSchema, tenants: runtime.tenants, keyring: runtime.keyring, logger: runtime.logger });
  }

  it('rotates nothing while every key is younger than its tenant\'s keyRotationDays', async () => {
    expect(await replica().check()).toEqual([]);
    expect((await keyVersions(tenantA)).length).toBe(2);
  });

  it('rotates a key older than keyRotationDays exactly once when two replicas check at the same moment', async () => {
    expectNoErrors(await stack.query(platformAdmin, `mutation($id: ID!) { setTenantLimits(id: $id, limits: { keyRotationDays: 7 }) { id } }`, { id: tenantA.id }));
    expect(errorCodes(await stack.query(platformAdmin, `mutation($id: ID!) { setTenantLimits(id: $id, limits: { keyRotationDays: 0 }) { id } }`, { id: tenantA.id }))).toEqual(['BAD_USER_INPUT']);
    // A's current key is made 8 days old; B's (90 days) stays young.
    await stack.adminQuery(`UPDATE ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_keys SET created_at = ? WHERE tenant_id = ? AND status = 'ACTIVE'`, [new Date(Date.now() - 8 * 24 * 3600 * 1000), tenantA.id]);
    const results = await Promise.all([replica().check(), replica().check(), replica().check()]);
    expect(results.flat()).toEqual([tenantA.id]);
    expect(await keyVersions(tenantA)).toEqual([
      { version: 1, status: 'RETIRED' },
      { version: 2, status: 'RETIRED' },
      { version: 3, status: 'ACTIVE' },
    ]);
    expect((await keyVersions(tenantB)).length).toBe(2);
    // Checked again later: the fresh key is young.
    expect(await replica().check()).toEqual([]);

    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const events = await stack.adminQuery<Array<{ actor_subject: string; details_json: unknown }>>(
      `SELECT actor_subject, details_json FROM ${quoteIdentifier(stack.config.database.controlSchema)}.security_events WHERE action = 'key.rotate' AND tenant_id = ? AND target_id = 'v3'`,
      [tenantA.id],
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.actor_subject).toBe('system:keyring');
    expect(parse(events[0]!.details_json)).toMatchObject({ reason: 'scheduled', version: 3 });
    // Old objects still decrypt, new ones use v3.
    const newest = await uploadDatasetVersion(scientistA, 'after-scheduled', 'x,y\n5,6\n');
    expect(await storedKeyVersion(tenantA, newest)).toBe(3);
    expect(await preview(scientistA, newest)).toEqual([['5', '6']]);
  });
});

describe('the versions a rotation on request may leave', () => {
  it('a tenant holding maxRequestedKeyVersions versions is refused one more (QUOTA_EXCEEDED), nothing changed, until it retires some', async () => {
    const tenant = await stack.createTenant();
    const admin = await tenant.token('admin');
    const table = `${quoteIdentifier(stack.config.database.controlSchema)}.tenant_keys`;
    // The versions an admin's loop of rotations would have made, one short of the bound (copies of v1's row: never opened here).
    const [first] = await stack.adminQuery<Array<{ wrapped_key: string; kek_version: number | null }>>(`SELECT wrapped_key, kek_version FROM ${table} WHERE tenant_id = ? AND version = 1`, [tenant.id]);
    const made = Array.from({ length: maxRequestedKeyVersions - 2 }, (_, i) => i + 2);
    await stack.adminQuery(
      `INSERT INTO ${table} (tenant_id, version, wrapped_key, kek_version, status, created_at) VALUES ${made.map(() => "(?, ?, ?, ?, 'RETIRED', NOW(3))").join(', ')}`,
      made.flatMap((version) => [tenant.id, version, first!.wrapped_key, first!.kek_version]),
    );
    const last = expectNoErrors(await stack.query<{ rotateTenantKey: DataKeys }>(admin, rotate, {})).rotateTenantKey;
    expect(last.currentVersion).toBe(maxRequestedKeyVersions);

    const refused = await stack.query(admin, rotate, {});
    expect(errorCodes(refused)).toEqual(['QUOTA_EXCEEDED']);
    expect(refused.errors![0]!.extensions).toMatchObject({ quota: 'dataKeyVersions', limit: maxRequestedKeyVersions, used: maxRequestedKeyVersions });
    expect(errorCodes(await stack.query(platformAdmin, rotate, { tenantId: tenant.id }))).toEqual(['QUOTA_EXCEEDED']);
    const held = await keyVersions(tenant);
    expect({ count: held.length, active: held.filter((key) => key.status === 'ACTIVE') }).toEqual({ count: maxRequestedKeyVersions, active: [{ version: maxRequestedKeyVersions, status: 'ACTIVE' }] });
    await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
    const recorded = await stack.adminQuery<unknown[]>(`SELECT 1 FROM ${quoteIdentifier(stack.config.database.controlSchema)}.security_events WHERE action = 'key.rotate' AND tenant_id = ? AND target_id = ?`, [tenant.id, `v${maxRequestedKeyVersions + 1}`]);
    expect(recorded).toEqual([]);
    // Another tenant rotates meanwhile: the bound is each tenant's own.
    expect(errorCodes(await stack.query(adminB, rotate, {}))).toEqual([]);

    // Versions retired (here: their rows gone) make room again.
    await stack.adminQuery(`DELETE FROM ${table} WHERE tenant_id = ? AND version BETWEEN 2 AND ?`, [tenant.id, maxRequestedKeyVersions - 1]);
    expect(expectNoErrors(await stack.query<{ rotateTenantKey: DataKeys }>(admin, rotate, {})).rotateTenantKey.currentVersion).toBe(maxRequestedKeyVersions + 1);
  });
});

function parse(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}
