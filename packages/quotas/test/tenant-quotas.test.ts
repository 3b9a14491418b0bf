import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildLinearRegression } from '@tessera/onnx';
import { TenantQuotas } from '@tessera/quotas';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { databaseOf } from '@tessera/platform';
import type { TenantScope } from '@tessera/tenancy';

const repoRoot = join(__dirname, '..', '..', '..');

interface WriterReport {
  granted: string[];
  refusals: Array<Record<string, unknown>>;
  failures: string[];
}

/** Starts `count` writer processes, releases them together, and collects their reports. */
async function runWriters(stack: TestStack, tenant: TestTenant, count: number, env: Record<string, string>): Promise<WriterReport[]> {
  const writers = Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'packages/quotas/test/support/reserve-process.ts')], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: databaseOf(stack.config, 'datasets').url, CONTROL_SCHEMA: stack.config.database.controlSchema, DATABASE_TLS_CA_FILE: stack.pki.caFile, TENANT_ID: tenant.id, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    const received: string[] = [];
    let wake: (() => void) | undefined;
    lines.on('line', (line) => {
      received.push(line);
      wake?.();
    });
    const nextLine = async (): Promise<string> => {
      while (received.length === 0) {
        if (child.exitCode !== null) throw new Error(`writer exited with ${child.exitCode}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          child.once('exit', () => resolve());
        });
      }
      return received.shift()!;
    };
    return { child, nextLine };
  });
  for (const writer of writers) expect(await writer.nextLine()).toBe('ready');
  for (const writer of writers) writer.child.stdin!.end('go\n');
  const reports = await Promise.all(writers.map(async (writer) => JSON.parse(await writer.nextLine()) as WriterReport));
  await Promise.all(writers.map((writer) => (writer.child.exitCode !== null ? undefined : new Promise((resolve) => writer.child.once('exit', resolve)))));
  return reports;
}

function scopeOf(stack: TestStack, tenant: TestTenant): Promise<TenantScope> {
  return stack.platform.runtime.scopes.forPrincipal({ kind: 'user', subject: 'quota-test', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 'quota-test', sourceIp: undefined });
}

async function usageOf(quotas: TenantQuotas, name: string) {
  return (await quotas.usage()).find((quota) => quota.name === name)!;
}

describe('TenantQuotas against MariaDB', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.stop());
  /**
   * A tenant on the default limits, shared by the two tests that need one: the refused amounts
   * never reach SQL (its usage stays as it was, which that test checks), so the usage test after it
   * starts from the same zeroed rows as on a tenant of its own. Made on first use, so each also runs alone.
   */
  let defaultTenant: Promise<TestTenant> | undefined;
  const tenantWithDefaults = () => (defaultTenant ??= stack.createTenant());

  it('writers in several processes never jointly reserve more than the limit', async () => {
    const limit = 1_000;
    const amount = 7;
    const tenant = await stack.createTenant({ limits: { maxStorageBytes: limit } });
    const reports = await runWriters(stack, tenant, 4, { STORAGE_LIMIT: String(limit), RESERVE_ATTEMPTS: '60', RESERVE_AMOUNT: String(amount) });

    expect(reports.flatMap((r) => r.failures)).toEqual([]);
    const granted = reports.flatMap((r) => r.granted);
    // 240 attempts for room of 142: exactly the room is granted, every other attempt is refused.
    expect(granted).toHaveLength(Math.floor(limit / amount));
    expect(new Set(granted).size).toBe(granted.length);
    expect(reports.flatMap((r) => r.refusals)).toHaveLength(4 * 60 - granted.length);
    for (const refusal of reports.flatMap((r) => r.refusals)) expect(refusal).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'storageBytes', limit, used: 0, requested: amount });

    const rows = (await stack.platform.runtime.db.query(`SELECT used, reserved FROM \`${tenant.schema}\`.quota_usage WHERE quota = 'storageBytes'`)) as Array<{ used: string; reserved: string }>;
    expect({ used: Number(rows[0]!.used), reserved: Number(rows[0]!.reserved) }).toEqual({ used: 0, reserved: granted.length * amount });
    const quotas = new TenantQuotas(await scopeOf(stack, tenant));
    expect(await usageOf(quotas, 'storageBytes')).toEqual({ name: 'storageBytes', limit, used: 0, reserved: granted.length * amount });
  });

  it('commit turns a reservation into usage, release gives it back, and more than reserved must still fit', async () => {
    const tenant = await stack.createTenant({ limits: { maxStorageBytes: 100 } });
    const quotas = new TenantQuotas(await scopeOf(stack, tenant));

    const first = await quotas.reserve('storageBytes', 60);
    await expect(quotas.reserve('storageBytes', 41)).rejects.toMatchObject({ extensions: { code: 'QUOTA_EXCEEDED', quota: 'storageBytes', limit: 100, used: 0, reserved: 60 } });
    await first.commit(50); // the object turned out smaller than reserved
    expect(await usageOf(quotas, 'storageBytes')).toMatchObject({ used: 50, reserved: 0 });

    const second = await quotas.reserve('storageBytes', 30);
    await second.release();
    await second.release(); // twice is harmless
    expect(await usageOf(quotas, 'storageBytes')).toMatchObject({ used: 50, reserved: 0 });

    const third = await quotas.reserve('storageBytes', 10);
    await expect(third.commit(51)).rejects.toMatchObject({ extensions: { code: 'QUOTA_EXCEEDED', quota: 'storageBytes', limit: 100, used: 50 } });
    // The refused commit rolled back: the reservation still holds its 10.
    expect(await usageOf(quotas, 'storageBytes')).toMatchObject({ used: 50, reserved: 10 });
    await third.commit(50);
    expect(await usageOf(quotas, 'storageBytes')).toMatchObject({ used: 100, reserved: 0 });
  });

  it("a crashed writer's reservation stops counting once it has expired", async () => {
    const tenant = await stack.createTenant({ limits: { maxStorageBytes: 100 } });
    const quotas = new TenantQuotas(await scopeOf(stack, tenant));
    const abandoned = await quotas.reserve('storageBytes', 80);
    await expect(quotas.reserve('storageBytes', 30)).rejects.toMatchObject({ extensions: { code: 'QUOTA_EXCEEDED' } });
    // The writer died: nobody commits or releases. Its expiry passes (moved, rather than waited for).
    await stack.platform.runtime.db.query(`UPDATE \`${tenant.schema}\`.quota_reservations SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE id = ?`, [abandoned.id]);
    expect(await usageOf(quotas, 'storageBytes')).toMatchObject({ used: 0, reserved: 0 });
    await quotas.reserve('storageBytes', 90);
    const rows = (await stack.platform.runtime.db.query(`SELECT id FROM \`${tenant.schema}\`.quota_reservations`)) as Array<{ id: string }>;
    expect(rows.map((r) => r.id)).not.toContain(abandoned.id);
    expect(await usageOf(quotas, 'storageBytes')).toMatchObject({ used: 0, reserved: 90 });
    // A late commit of the expired reservation must fit like a new charge: 80 more does not.
    await expect(abandoned.commit()).rejects.toMatchObject({ extensions: { code: 'QUOTA_EXCEEDED', quota: 'storageBytes', limit: 100, used: 0, reserved: 90 } });
  });

  it("a refused charge rolls back the caller's whole transaction", async () => {
    const tenant = await stack.createTenant({ limits: { maxDatasets: 1 } });
    const scope = await scopeOf(stack, tenant);
    const quotas = new TenantQuotas(scope);
    const insert = (id: string, name: string) =>
      scope.transaction(async (manager) => {
        await manager.query(`INSERT INTO datasets (id, name, status, created_by, created_at, updated_at) VALUES (?, ?, 'ACTIVE', 't', NOW(3), NOW(3))`, [id, name]);
        await quotas.charge(manager, { datasets: 1 });
      });
    await insert('00000000-0000-4000-8000-000000000001', 'one');
    await expect(insert('00000000-0000-4000-8000-000000000002', 'two')).rejects.toMatchObject({ extensions: { code: 'QUOTA_EXCEEDED', quota: 'datasets', limit: 1, used: 1 } });
    const names = (await scope.db((manager) => manager.query('SELECT name FROM datasets'))) as Array<{ name: string }>;
    expect(names.map((n) => n.name)).toEqual(['one']);
    await scope.transaction(async (manager) => {
      await manager.query('DELETE FROM datasets');
      await quotas.refund(manager, { datasets: 1 });
    });
    expect(await usageOf(quotas, 'datasets')).toMatchObject({ used: 0, reserved: 0, limit: 1 });
  });

  it('amounts that are not non-negative integers are programming errors, refused before any SQL', async () => {
    const tenant = await tenantWithDefaults();
    const quotas = new TenantQuotas(await scopeOf(stack, tenant));
    for (const amount of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) await expect(quotas.reserve('storageBytes', amount)).rejects.toBeInstanceOf(RangeError);
    expect(await usageOf(quotas, 'storageBytes')).toMatchObject({ used: 0, reserved: 0 });
  });

  // Usage is kept by the writers alone (no migration recounts it any more: tenant schemas start from
  // the template's zeroed rows, and single-sequence schemas keep the rows they counted).
  it('the usage the writers keep is what the tenant holds: its rows account for every byte in the bucket', async () => {
    const tenant = await tenantWithDefaults();
    const token = await tenant.token('admin');
    const csv = Buffer.from('a,b\n1,2\n3,4\n');
    const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, 'mutation { createDataset(input: { name: "old" }) { id } }')).createDataset.id;
    const stage = async () =>
      expectNoErrors(
        await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, 'mutation($d: ID!, $n: Int!) { createDatasetUpload(input: { datasetId: $d, filename: "a.csv", byteSize: $n }) { id uploadUrl } }', { d: datasetId, n: csv.length }),
      ).createDatasetUpload;
    const put = (url: string, body: Uint8Array, type: string) => fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: Buffer.from(body) });
    const completed = await stage();
    expect((await put(completed.uploadUrl, csv, 'text/csv')).status).toBe(200);
    expectNoErrors(await stack.query(token, 'mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }', { id: completed.id }));
    const receivedOnly = await stage(); // stored in the bucket, never completed: it still takes room
    expect((await put(receivedOnly.uploadUrl, csv, 'text/csv')).status).toBe(200);
    const onnx = buildLinearRegression({ weights: [1, 2], bias: 0 });
    const modelId = expectNoErrors(await stack.query<{ createModel: { id: string } }>(token, 'mutation { createModel(input: { name: "old-model" }) { id } }')).createModel.id;
    const modelUpload = expectNoErrors(
      await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(token, 'mutation($m: ID!, $n: Int!) { createModelUpload(input: { modelId: $m, filename: "m.onnx", byteSize: $n }) { id uploadUrl } }', { m: modelId, n: onnx.length }),
    ).createModelUpload;
    expect((await put(modelUpload.uploadUrl, onnx, 'application/octet-stream')).status).toBe(200);
    expectNoErrors(await stack.query(token, 'mutation($id: ID!) { completeModelUpload(uploadId: $id) { id } }', { id: modelUpload.id }));
    await stack.drainAudit(tenant.id);
    expect(expectNoErrors(await stack.query<{ createAuditCheckpoint: { sequence: number } | null }>(token, 'mutation { createAuditCheckpoint { sequence } }')).createAuditCheckpoint).not.toBeNull();

    const quotas = new TenantQuotas(await scopeOf(stack, tenant));
    const [held] = (await stack.platform.runtime.db.query(
      `SELECT (SELECT SUM(stored_size) FROM \`${tenant.schema}\`.dataset_versions) AS dv, (SELECT SUM(stored_size) FROM \`${tenant.schema}\`.dataset_uploads WHERE status = 'UPLOADED') AS du,
              (SELECT SUM(stored_size) FROM \`${tenant.schema}\`.model_versions) AS mv, (SELECT SUM(LENGTH(jws)) FROM \`${tenant.schema}\`.audit_checkpoints) AS ck`,
    )) as Array<Record<string, string>>;
    const objects: Record<string, number> = {};
    for await (const item of stack.platform.runtime.objectStore.listObjectsV2(tenant.bucket, '', true)) if (item.name) objects[item.name] = item.size;
    const bucketBytes = Object.values(objects).reduce((a, b) => a + b, 0);
    const expected = Number(held!['dv']) + Number(held!['du']) + Number(held!['mv']) + Number(held!['ck']);
    expect(bucketBytes).toBe(expected); // the rows account for every byte in the bucket
    const usage = await quotas.usage();
    expect(Object.fromEntries(usage.map((q) => [q.name, q.used]))).toEqual({ datasetVersions: 1, datasets: 1, modelVersions: 1, models: 1, storageBytes: expected });
  });
});
