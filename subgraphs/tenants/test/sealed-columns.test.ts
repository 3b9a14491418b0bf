/**
 * Sealed columns against real MariaDB, through the gateway: job results, dataset profiles and audit
 * event details are stored sealed with the tenant's data key (the raw columns hold no plaintext)
 * and read back decrypted; a sealed value moved to another row or into another tenant's schema is
 * refused with a typed error; rotation + re-encryption re-seal them, and retirement waits for it;
 * values stored in clear before sealing still read and are sealed by the backfill.
 */
import { DataSource } from 'typeorm';
import type { LogFields, Logger } from '@tessera/config';
import { auditDetailsColumn, SealedColumnBackfill } from '@tessera/service-kit';
import { quoteIdentifier, TenantStore } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { jobResultColumn } from '../../jobs/src/data/job-result-seal';
import { datasetSealedColumns } from '../../datasets/src/data/dataset-profile-seal';
import { moveClearDetailsToSideTable } from '../../audit/src/migrations/tenant/0003-sealed-event-details';

const topValue = 'zebra-marker-7731';
const columnName = 'codename_q9';
const webhookHost = 'sealedmarker4242.invalid';
const csv = [`${columnName},n`, ...Array.from({ length: 6 }, (_, i) => `${i < 4 ? topValue : `other-${i}`},${i}`)].join('\n') + '\n';

const rotate = `mutation { rotateTenantKey { currentVersion } }`;
const reencrypt = `mutation { reencryptTenantObjects { id status } }`;
const operationQuery = `query($id: ID!) { keyOperation(id: $id) { status reencrypted remaining lastError } }`;
const retire = `mutation($version: Int!) { retireTenantKeyVersion(version: $version) { versions { version } } }`;
const jobResult = `query($id: ID!) { job(id: $id) { id status result { profile { columns { name topValues { value count } } } } } }`;
const versionColumns = `query($id: ID!) { datasetVersion(id: $id) { id rowCount columns { name type nullCount } } }`;
const auditEvents = `query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100) { edges { node { sequence action details } } } }`;
const verify = `query { verifyAuditChain { valid firstBadSequence reason checkedEvents } }`;

let stack: TestStack;
let tenantA: TestTenant;
let tenantB: TestTenant;
let adminA: string;
let adminB: string;
let scientistA: string;
let scientistB: string;
let versionA: string;
let versionB: string;
const jobsA: string[] = [];
let jobB: string;

const schemaOf = (tenant: TestTenant) => quoteIdentifier(tenant.schema);

/** A dataset with one version holding `body`, through the real upload flow (gateway PUT). */
async function uploadDataset(token: string, name: string, body: string): Promise<string> {
  const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }`, { input: { name } })).createDataset.id;
  const bytes = Buffer.from(body, 'utf8');
  const upload = expectNoErrors(
    await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, `mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }`, {
      input: { datasetId, filename: 'data.csv', byteSize: bytes.length },
    }),
  ).createDatasetUpload;
  const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body: bytes });
  if (put.status !== 200) throw new Error(`upload failed: ${put.status} ${await put.text()}`);
  return expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, `mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }`, { id: upload.id })).completeDatasetUpload.id;
}

/** A PROFILE job of the version, run by the stack's worker to its end. */
async function profiled(token: string, datasetVersionId: string): Promise<string> {
  const id = expectNoErrors(await stack.query<{ submitProfileJob: { id: string } }>(token, `mutation($input: SubmitProfileJobInput!) { submitProfileJob(input: $input) { id } }`, { input: { datasetVersionId } })).submitProfileJob.id;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const job = expectNoErrors(await stack.query<{ job: { status: string; error: unknown } }>(token, `query($id: ID!) { job(id: $id) { status error { code message } } }`, { id })).job;
    if (job.status === 'SUCCEEDED') return id;
    if (job.status === 'FAILED' || Date.now() > deadline) throw new Error(`profile job ${id}: ${job.status} ${JSON.stringify(job.error)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Every raw value and its key version of a sealed column of a tenant. mysql2 hands JSON columns
 * back parsed: a sealed value is then the envelope string itself.
 */
async function raw(tenant: TestTenant, spec: { table: string; idColumn: string; column: string; versionColumn: string }): Promise<Array<{ id: string; value: string; version: number | null }>> {
  const rows = await stack.adminQuery<Array<{ id: string | number; value: unknown; version: number | null }>>(
    `SELECT ${spec.idColumn} AS id, ${spec.column} AS value, ${spec.versionColumn} AS version FROM ${schemaOf(tenant)}.${spec.table} WHERE ${spec.column} IS NOT NULL ORDER BY ${spec.idColumn}`,
  );
  return rows.map((row) => ({ id: String(row.id), value: typeof row.value === 'string' ? row.value : JSON.stringify(row.value), version: row.version === null ? null : Number(row.version) }));
}

const rawJobResults = (tenant: TestTenant) => raw(tenant, jobResultColumn);
const rawVersionColumns = (tenant: TestTenant) => raw(tenant, datasetSealedColumns[0]);
const rawUploadProfiles = (tenant: TestTenant) => raw(tenant, datasetSealedColumns[1]);
const rawAuditDetails = (tenant: TestTenant) => raw(tenant, auditDetailsColumn);

/** Every sealed value of tenant A and the versions that sealed them. */
async function sealedVersionsOf(tenant: TestTenant): Promise<number[]> {
  const all = [...(await rawJobResults(tenant)), ...(await rawVersionColumns(tenant)), ...(await rawUploadProfiles(tenant)), ...(await rawAuditDetails(tenant))];
  return [...new Set(all.map((row) => row.version ?? -1))].sort();
}

function topValuesOf(job: { result: { profile: { columns: Array<{ name: string; topValues: Array<{ value: string }> | null }> } } | null }): string[] {
  return (job.result?.profile.columns.find((column) => column.name === columnName)?.topValues ?? []).map((entry) => entry.value);
}

function codeAndReason(response: GraphQLResponse<unknown>): Array<[unknown, unknown]> {
  return (response.errors ?? []).map((error) => [error.extensions?.['code'], error.extensions?.['reason']]);
}

async function readsOfA(): Promise<{ topValues: string[]; columns: string[]; hosts: string[]; chainValid: boolean }> {
  for (const runtime of Object.values(stack.platform.runtimes)) runtime.keyring.forget(tenantA.id);
  const job = expectNoErrors(await stack.query<{ job: Parameters<typeof topValuesOf>[0] }>(scientistA, jobResult, { id: jobsA[0] })).job;
  const version = expectNoErrors(await stack.query<{ datasetVersion: { columns: Array<{ name: string }> } }>(scientistA, versionColumns, { id: versionA })).datasetVersion;
  const events = expectNoErrors(await stack.query<{ auditEvents: { edges: Array<{ node: { action: string; details: string } }> } }>(adminA, auditEvents, { filter: { action: 'alert.webhook.set' } })).auditEvents;
  const chain = expectNoErrors(await stack.query<{ verifyAuditChain: { valid: boolean } }>(adminA, verify, {})).verifyAuditChain;
  return {
    topValues: topValuesOf(job),
    columns: version.columns.map((column) => column.name),
    hosts: events.edges.map((edge) => (JSON.parse(edge.node.details) as { host: string }).host),
    chainValid: chain.valid,
  };
}

async function runReencryption(token: string): Promise<void> {
  const started = expectNoErrors(await stack.query<{ reencryptTenantObjects: { id: string } }>(token, reencrypt, {})).reencryptTenantObjects;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const operation = expectNoErrors(await stack.query<{ keyOperation: { status: string; remaining: number | null; lastError: string | null } }>(token, operationQuery, { id: started.id })).keyOperation;
    if (operation.status !== 'RUNNING') {
      expect(operation).toMatchObject({ status: 'DONE', remaining: 0, lastError: null });
      return;
    }
    if (Date.now() > deadline) throw new Error('re-encryption did not finish');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  stack = await startTestStack({ workers: 1 });
  tenantA = await stack.createTenant();
  tenantB = await stack.createTenant();
  adminA = await tenantA.token('admin');
  adminB = await tenantB.token('admin');
  scientistA = await tenantA.token('data_scientist');
  scientistB = await tenantB.token('data_scientist');
  versionA = await uploadDataset(scientistA, 'sealed-a', csv);
  versionB = await uploadDataset(scientistB, 'sealed-b', csv);
  jobsA.push(await profiled(scientistA, versionA), await profiled(scientistA, versionA));
  jobB = await profiled(scientistB, versionB);
  // An audit event whose details carry a value the tenant chose (the webhook's host).
  expectNoErrors(await stack.query(adminA, `mutation($url: String!) { setAlertWebhook(url: $url) { secret } }`, { url: `http://${webhookHost}/hook` }));
  await stack.drainAudit(tenantA.id);
  await stack.drainAudit(tenantB.id);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe('sealed at rest, decrypted on read', () => {
  it('stores job results, dataset profiles and audit details with no plaintext, under the current key version', async () => {
    const results = await rawJobResults(tenantA);
    expect(results.map((row) => row.id).sort()).toEqual([...jobsA].sort());
    for (const row of results) {
      expect(row.value).toMatch(/^tsc1\.1\.[A-Za-z0-9_-]+$/);
      expect(row.value).not.toContain(topValue);
      expect(row.version).toBe(1);
    }
    for (const row of [...(await rawVersionColumns(tenantA)), ...(await rawUploadProfiles(tenantA))]) {
      expect(row.value).toMatch(/^tsc1\.1\./);
      expect(row.value).not.toContain(columnName);
      expect(row.version).toBe(1);
    }
    const details = await rawAuditDetails(tenantA);
    expect(details.length).toBeGreaterThan(0);
    for (const row of details) {
      expect(row.value).toMatch(/^tsc1\.1\./);
      expect(row.version).toBe(1);
    }
    // Nowhere in the tables that hold them, not even in the chain rows (which keep `{}`).
    const leaks = await stack.adminQuery<unknown[]>(
      `SELECT seq FROM ${schemaOf(tenantA)}.audit_event_details WHERE details LIKE ? UNION ALL SELECT seq FROM ${schemaOf(tenantA)}.audit_events WHERE details_json LIKE ?`,
      [`%${webhookHost}%`, `%${webhookHost}%`],
    );
    expect(leaks).toEqual([]);
    const rows = await stack.adminQuery<unknown[]>(`SELECT id FROM ${schemaOf(tenantA)}.jobs WHERE result_json LIKE ?`, [`%${topValue}%`]);
    expect(rows).toEqual([]);
  });

  it('answers the decrypted values through the API, and the audit chain verifies over them', async () => {
    expect(await readsOfA()).toEqual({ topValues: expect.arrayContaining([topValue]), columns: [columnName, 'n'], hosts: [webhookHost], chainValid: true });
    const profileB = expectNoErrors(await stack.query<{ job: Parameters<typeof topValuesOf>[0] }>(scientistB, jobResult, { id: jobB })).job;
    expect(topValuesOf(profileB)).toContain(topValue);
  });
});

describe('a sealed value moved elsewhere does not open', () => {
  it('another job row of the same tenant: CONFLICT SEALED_VALUE_REJECTED on that field only, the rest of the job answers', async () => {
    const [first, second] = jobsA as [string, string];
    const [original] = await stack.adminQuery<Array<{ result_json: string }>>(`SELECT result_json FROM ${schemaOf(tenantA)}.jobs WHERE id = ?`, [second]);
    await stack.adminQuery(`UPDATE ${schemaOf(tenantA)}.jobs SET result_json = (SELECT r FROM (SELECT result_json AS r FROM ${schemaOf(tenantA)}.jobs WHERE id = ?) AS copy) WHERE id = ?`, [first, second]);
    try {
      const moved = await stack.query<{ job: { id: string; status: string; result: unknown } | null }>(scientistA, jobResult, { id: second });
      expect(codeAndReason(moved)).toEqual([['CONFLICT', 'SEALED_VALUE_REJECTED']]);
      expect(moved.errors![0]!.path).toEqual(['job', 'result']);
      expect(moved.data?.job).toMatchObject({ id: second, status: 'SUCCEEDED', result: null });
      // The row it came from still opens.
      expect(topValuesOf(expectNoErrors(await stack.query<{ job: Parameters<typeof topValuesOf>[0] }>(scientistA, jobResult, { id: first })).job)).toContain(topValue);
    } finally {
      await stack.adminQuery(`UPDATE ${schemaOf(tenantA)}.jobs SET result_json = ? WHERE id = ?`, [JSON.stringify(original!.result_json), second]);
    }
  });

  it("into tenant B's schema: B's job result and B's dataset columns answer CONFLICT, never A's values", async () => {
    const [sealedResult] = await stack.adminQuery<Array<{ v: string }>>(`SELECT result_json AS v FROM ${schemaOf(tenantA)}.jobs WHERE id = ?`, [jobsA[0]]);
    const [sealedColumns] = await stack.adminQuery<Array<{ v: string }>>(`SELECT columns_json AS v FROM ${schemaOf(tenantA)}.dataset_versions WHERE id = ?`, [versionA]);
    const [ownResult] = await stack.adminQuery<Array<{ v: string }>>(`SELECT result_json AS v FROM ${schemaOf(tenantB)}.jobs WHERE id = ?`, [jobB]);
    const [ownColumns] = await stack.adminQuery<Array<{ v: string }>>(`SELECT columns_json AS v FROM ${schemaOf(tenantB)}.dataset_versions WHERE id = ?`, [versionB]);
    // Back into a JSON column: the JSON text of what the driver parsed.
    const text = (value: unknown) => JSON.stringify(value);
    // Even under B's own job and version ids: the tenant is bound too.
    await stack.adminQuery(`UPDATE ${schemaOf(tenantB)}.jobs SET result_json = ? WHERE id = ?`, [text(sealedResult!.v), jobB]);
    await stack.adminQuery(`UPDATE ${schemaOf(tenantB)}.dataset_versions SET columns_json = ? WHERE id = ?`, [text(sealedColumns!.v), versionB]);
    try {
      const job = await stack.query<{ job: { result: unknown } | null }>(scientistB, jobResult, { id: jobB });
      expect(codeAndReason(job)).toEqual([['CONFLICT', 'SEALED_VALUE_REJECTED']]);
      const version = await stack.query<{ datasetVersion: { rowCount: number; columns: unknown } | null }>(scientistB, versionColumns, { id: versionB });
      expect(codeAndReason(version)).toEqual([['CONFLICT', 'SEALED_VALUE_REJECTED']]);
      expect(JSON.stringify(job.data) + JSON.stringify(version.data)).not.toContain(topValue);
      expect(JSON.stringify(version.data)).not.toContain(columnName);
    } finally {
      await stack.adminQuery(`UPDATE ${schemaOf(tenantB)}.jobs SET result_json = ? WHERE id = ?`, [text(ownResult!.v), jobB]);
      await stack.adminQuery(`UPDATE ${schemaOf(tenantB)}.dataset_versions SET columns_json = ? WHERE id = ?`, [text(ownColumns!.v), versionB]);
    }
    expect(topValuesOf(expectNoErrors(await stack.query<{ job: Parameters<typeof topValuesOf>[0] }>(scientistB, jobResult, { id: jobB })).job)).toContain(topValue);
  });

  it('audit details swapped between events: that field is CONFLICT and the chain verification points at the event', async () => {
    const details = await rawAuditDetails(tenantA);
    const [first, second] = [details[0]!, details[1]!];
    await stack.adminQuery(`UPDATE ${schemaOf(tenantA)}.audit_event_details SET details = ? WHERE seq = ?`, [first.value, second.id]);
    try {
      const events = await stack.query<{ auditEvents: { edges: Array<{ node: { sequence: number; details: string | null } | null }> } | null }>(adminA, auditEvents, {});
      expect(codeAndReason(events)).toEqual([['CONFLICT', 'SEALED_VALUE_REJECTED']]);
      const chain = expectNoErrors(await stack.query<{ verifyAuditChain: { valid: boolean; firstBadSequence: number; reason: string } }>(adminA, verify, {})).verifyAuditChain;
      expect(chain).toMatchObject({ valid: false, firstBadSequence: Number(second.id), reason: 'HASH_MISMATCH' });
    } finally {
      await stack.adminQuery(`UPDATE ${schemaOf(tenantA)}.audit_event_details SET details = ? WHERE seq = ?`, [second.value, second.id]);
    }
    expect(expectNoErrors(await stack.query<{ verifyAuditChain: { valid: boolean } }>(adminA, verify, {})).verifyAuditChain.valid).toBe(true);
  });
});

describe('key lifecycle', () => {
  it('after a rotation, new seals use the new version; retirement waits for the re-encryption, which re-seals every column', async () => {
    expect(expectNoErrors(await stack.query<{ rotateTenantKey: { currentVersion: number } }>(adminA, rotate, {})).rotateTenantKey.currentVersion).toBe(2);
    const fresh = await uploadDataset(scientistA, 'sealed-a2', csv);
    await stack.drainAudit(tenantA.id);
    expect((await rawVersionColumns(tenantA)).find((row) => row.id === fresh)?.version).toBe(2);
    expect(await sealedVersionsOf(tenantA)).toEqual([1, 2]);

    const refused = await stack.query(adminA, retire, { version: 1 });
    expect(errorCodes(refused)).toEqual(['KEY_VERSION_IN_USE']);
    // At least every value still sealed under v1 counts (objects and family keys add to it).
    const underV1 = [...(await rawJobResults(tenantA)), ...(await rawVersionColumns(tenantA)), ...(await rawUploadProfiles(tenantA)), ...(await rawAuditDetails(tenantA))].filter((row) => row.version === 1);
    expect(Number(refused.errors![0]!.extensions!['dependents'])).toBeGreaterThanOrEqual(underV1.length);

    await runReencryption(adminA);
    expect(await sealedVersionsOf(tenantA)).toEqual([2]);
    expect(expectNoErrors(await stack.query<{ retireTenantKeyVersion: { versions: Array<{ version: number }> } }>(adminA, retire, { version: 1 })).retireTenantKeyVersion.versions).toEqual([{ version: 2 }]);
    expect(await readsOfA()).toEqual({ topValues: expect.arrayContaining([topValue]), columns: [columnName, 'n'], hosts: [webhookHost], chainValid: true });
    // B untouched: its values stay under its own v1 and still read.
    expect(await sealedVersionsOf(tenantB)).toEqual([1]);
    expect(topValuesOf(expectNoErrors(await stack.query<{ job: Parameters<typeof topValuesOf>[0] }>(scientistB, jobResult, { id: jobB })).job)).toContain(topValue);
  });
});

describe('values stored in clear before sealing', () => {
  it('still read, then the backfill seals them under the current version; the chain verifies throughout', async () => {
    // Rows as the migrations leave rows from before sealing: the clear value, marked version 0.
    const clearResult = { profile: { rowCount: 6, columns: [{ name: columnName, topValues: [{ value: topValue, count: 4 }] }] } };
    const clearColumns = [{ name: columnName, type: 'STRING', nullable: false, nullCount: 0 }, { name: 'n', type: 'INTEGER', nullable: false, nullCount: 0 }];
    await stack.adminQuery(`UPDATE ${schemaOf(tenantA)}.jobs SET result_json = ?, result_key_version = 0 WHERE id = ?`, [JSON.stringify(clearResult), jobsA[0]]);
    await stack.adminQuery(`UPDATE ${schemaOf(tenantA)}.dataset_versions SET columns_json = ?, columns_key_version = 0 WHERE id = ?`, [JSON.stringify(clearColumns), versionA]);
    // An event chained before sealing: its clear details in the chain row and no side row; the migration moves them.
    const [webhookEvent] = await stack.adminQuery<Array<{ seq: number }>>(`SELECT seq FROM ${schemaOf(tenantA)}.audit_events WHERE action = 'alert.webhook.set'`);
    await stack.adminQuery(`DELETE FROM ${schemaOf(tenantA)}.audit_event_details WHERE seq = ?`, [webhookEvent!.seq]);
    await stack.adminQuery(`UPDATE ${schemaOf(tenantA)}.audit_events SET details_json = ? WHERE seq = ?`, [JSON.stringify({ host: webhookHost }), webhookEvent!.seq]);
    expect(await readsOfA()).toMatchObject({ hosts: [webhookHost], chainValid: true });
    const runner = stack.platform.runtime.db.createQueryRunner();
    try {
      await runner.query(`USE ${schemaOf(tenantA)}`);
      await moveClearDetailsToSideTable(runner);
    } finally {
      await runner.release();
    }
    expect((await rawAuditDetails(tenantA)).find((row) => row.id === String(webhookEvent!.seq))).toMatchObject({ version: 0, value: expect.stringContaining(webhookHost) });

    // Clear values read as they are, and the chain (hashed over the plaintext) still verifies.
    expect(await readsOfA()).toEqual({ topValues: [topValue], columns: [columnName, 'n'], hosts: [webhookHost], chainValid: true });

    // The backfill each owner runs after it starts, on the owners' own database accounts.
    const owners = [
      { runtime: stack.platform.runtimes.jobs, specs: [jobResultColumn] },
      { runtime: stack.platform.runtimes.datasets, specs: datasetSealedColumns },
      { runtime: stack.platform.runtimes.audit, specs: [auditDetailsColumn] },
    ];
    let sealed = 0;
    for (const { runtime, specs } of owners) {
      sealed += await new SealedColumnBackfill({ scopes: runtime.scopes, tenants: runtime.tenants, logger: runtime.logger, specs }).runForTenant(tenantA.id);
    }
    expect(sealed).toBe(3);
    expect(await sealedVersionsOf(tenantA)).toEqual([2]);
    expect(await stack.adminQuery<unknown[]>(`SELECT id FROM ${schemaOf(tenantA)}.jobs WHERE result_json LIKE ?`, [`%${topValue}%`])).toEqual([]);
    expect(await stack.adminQuery<unknown[]>(`SELECT seq FROM ${schemaOf(tenantA)}.audit_event_details WHERE details LIKE ?`, [`%${webhookHost}%`])).toEqual([]);
    expect(await readsOfA()).toEqual({ topValues: [topValue], columns: [columnName, 'n'], hosts: [webhookHost], chainValid: true });
    // A second pass has nothing left to do.
    expect(await new SealedColumnBackfill({ scopes: owners[0]!.runtime.scopes, tenants: owners[0]!.runtime.tenants, logger: owners[0]!.runtime.logger, specs: [jobResultColumn] }).runForTenant(tenantA.id)).toBe(0);
  });

  it('a pass that cannot list the tenants (the control plane unreachable at start) is logged and tried again; the process lives on', async () => {
    const jobs = stack.platform.runtimes.jobs;
    await stack.adminQuery(`UPDATE ${schemaOf(tenantA)}.jobs SET result_json = ?, result_key_version = 0 WHERE id = ?`, [JSON.stringify({ profile: { rowCount: 1, columns: [] } }), jobsA[1]]);
    const versionOfJob = async () => (await rawJobResults(tenantA)).find((row) => row.id === jobsA[1])?.version;
    expect(await versionOfJob()).toBe(0);
    // The jobs service's own tenant listing, over a connection pool that is not open yet (as MariaDB unreachable at start).
    const controlPlane = new DataSource(jobs.db.options);
    const warnings: Array<{ message: string; fields: LogFields | undefined }> = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (message, fields) => void warnings.push({ message, fields }), error: (message, fields) => void warnings.push({ message, fields }), child: () => logger };
    const backfill = new SealedColumnBackfill({ scopes: jobs.scopes, tenants: new TenantStore(controlPlane, stack.config.database.controlSchema), logger, specs: [jobResultColumn], delayMs: 10, retryDelayMs: 200 });
    backfill.start();
    try {
      const until = Date.now() + 10_000;
      while (warnings.length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(warnings[0]).toMatchObject({ message: 'sealed column backfill could not list tenants; will retry', fields: { retryInMs: 200 } });
      expect(await versionOfJob()).toBe(0);
      // The control plane is back: the next try seals the value.
      await controlPlane.initialize();
      const sealedBy = Date.now() + 15_000;
      while ((await versionOfJob()) === 0 && Date.now() < sealedBy) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await versionOfJob()).toBe(2);
      expect(warnings.every((warning) => warning.message === 'sealed column backfill could not list tenants; will retry')).toBe(true);
    } finally {
      await backfill.stop();
      if (controlPlane.isInitialized) await controlPlane.destroy();
    }
  });
});
