/**
 * The tenants service's key maintenance on a real stack, below the GraphQL layer: the rewrap is
 * batched and resumes where a stopped process left it; data keys wrapped by the retired master key
 * move to the key provider (the function and `tessera keys import-master-key`), and until they do
 * they block retiring anything.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createLogger, nodeEntryArgs } from '@tessera/config';
import { wrapDataKey } from '@tessera/crypto';
import { importLegacyWrappedKeys, LegacyWrappedKeyError, localServiceDatabaseUrls, quoteIdentifier } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { DataKeyRewrapper } from '../src/domain/data-key-rewrapper';

let stack: TestStack;
let tenants: TestTenant[];
let table: string;

async function keyRows(): Promise<Array<{ tenant_id: string; version: number; wrapped_key: string; kek_version: number | null }>> {
  return stack.adminQuery(`SELECT tenant_id, version, wrapped_key, kek_version FROM ${table} ORDER BY tenant_id, version`);
}

function rewrapperOn(pauseMs: number): DataKeyRewrapper {
  const runtime = stack.platform.runtimes.tenants;
  return new DataKeyRewrapper(
    { db: runtime.db, controlSchema: stack.config.database.controlSchema, provider: runtime.keyProvider!, logger: createLogger('silent'), onKeyEvent: runtime.keyring.onKeyEvent },
    { batchSize: 2, pauseMs },
  );
}

beforeAll(async () => {
  stack = await startTestStack();
  table = `${quoteIdentifier(stack.config.database.controlSchema)}.tenant_keys`;
  tenants = [await stack.createTenant(), await stack.createTenant(), await stack.createTenant()];
  for (const tenant of tenants) await stack.platform.runtimes.tenants.keyring.rotate(tenant.id);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the rewrap', () => {
  it('works in batches and, stopped half-way, is resumed by the next process from where it stopped', async () => {
    const provider = stack.platform.runtimes.tenants.keyProvider!;
    const total = (await keyRows()).length;
    const rotated = await provider.rotate();
    const first = rewrapperOn(400);
    const run = await first.start('test:operator');
    expect(run).toMatchObject({ status: 'RUNNING', targetVersion: rotated.latestVersion, rewrapped: 0, requestedBy: 'test:operator' });
    // Let it do a batch or two, then stop it as a shutdown would.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await first.stop();
    const stopped = await first.latest();
    const moved = (await keyRows()).filter((row) => row.kek_version === rotated.latestVersion).length;
    expect(stopped).toMatchObject({ id: run.id, status: 'RUNNING' });
    expect(moved).toBeGreaterThanOrEqual(2);
    expect(moved).toBeLessThan(total);
    expect(stopped!.rewrapped).toBe(moved);

    // The next process picks the unfinished run up by itself.
    const second = rewrapperOn(0);
    second.resume();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await second.idle();
    const finished = await second.latest();
    expect(finished).toMatchObject({ id: run.id, status: 'DONE', rewrapped: total, failed: 0, lastError: null });
    expect((await keyRows()).every((row) => row.kek_version === rotated.latestVersion)).toBe(true);
  });

  it('a second rotation during a run retargets it instead of starting another', async () => {
    const provider = stack.platform.runtimes.tenants.keyProvider!;
    await provider.rotate();
    const rewrapper = rewrapperOn(200);
    const run = await rewrapper.start('test:operator');
    const latest = await provider.rotate();
    const again = await rewrapper.start('test:operator');
    expect(again.id).toBe(run.id);
    await rewrapper.idle();
    // A batch may have finished the run before the second start: then that start began a new one.
    const done = await rewrapper.latest();
    expect(done).toMatchObject({ status: 'DONE', targetVersion: latest.latestVersion });
    expect((await keyRows()).every((row) => row.kek_version === latest.latestVersion)).toBe(true);
  });
});

describe('data keys wrapped by the retired master key', () => {
  const masterKey = randomBytes(32);
  const otherMasterKey = randomBytes(32);
  let legacy: Map<string, Buffer>;

  beforeAll(async () => {
    // As an installation from before the key provider left them: v1. wraps under a master key, no kek_version.
    legacy = new Map();
    const [a, b, c] = tenants as [TestTenant, TestTenant, TestTenant];
    for (const [tenant, key] of [[a, masterKey], [b, masterKey], [c, otherMasterKey]] as const) {
      const dataKey = randomBytes(32);
      legacy.set(tenant.id, dataKey);
      await stack.adminQuery(`UPDATE ${table} SET wrapped_key = ?, kek_version = NULL WHERE tenant_id = ? AND version = 1`, [wrapDataKey(key, dataKey, { tenantId: tenant.id, keyVersion: 1 }), tenant.id]);
    }
    for (const runtime of Object.values(stack.platform.runtimes)) for (const tenant of tenants) runtime.keyring.forget(tenant.id);
  });

  it('are refused with a message that names the import, are counted, and block retiring any version', async () => {
    await expect(stack.platform.runtimes.datasets.keyring.keyFor(tenants[0]!.id, 1)).rejects.toBeInstanceOf(LegacyWrappedKeyError);
    const admin = await stack.platformAdminToken();
    const status = expectNoErrors(await stack.query<{ keyEncryptionKeyStatus: { legacyWrappedDataKeys: number; latestVersion: number } }>(admin, 'query { keyEncryptionKeyStatus { legacyWrappedDataKeys latestVersion } }')).keyEncryptionKeyStatus;
    expect(status.legacyWrappedDataKeys).toBe(3);
    const refused = await stack.query(admin, 'mutation($version: Int!) { retireKeyEncryptionKeyVersion(version: $version) { minDecryptionVersion } }', { version: status.latestVersion - 1 });
    expect(errorCodes(refused)).toEqual(['KEY_VERSION_IN_USE']);
  });

  it('move to the key provider with the same data key; those another master key wrapped stay as they are', async () => {
    const runtime = stack.platform.runtimes.tenants;
    const report = await importLegacyWrappedKeys(runtime.db, stack.config.database.controlSchema, masterKey, runtime.keyProvider!);
    expect(report).toEqual({ imported: 2, notOpened: 1 });
    const rows = await keyRows();
    const latest = (await runtime.keyProvider!.status()).latestVersion;
    for (const tenant of tenants.slice(0, 2)) {
      const row = rows.find((candidate) => candidate.tenant_id === tenant.id && candidate.version === 1)!;
      expect(row.kek_version).toBe(latest);
      expect(row.wrapped_key.startsWith(`vault:v${latest}:`)).toBe(true);
      runtime.keyring.forget(tenant.id);
      expect((await runtime.keyring.keyFor(tenant.id, 1)).equals(legacy.get(tenant.id)!)).toBe(true);
    }
    expect(rows.find((row) => row.tenant_id === tenants[2]!.id && row.version === 1)!.kek_version).toBeNull();
    // Run again: nothing left that this key opens.
    expect(await importLegacyWrappedKeys(runtime.db, stack.config.database.controlSchema, masterKey, runtime.keyProvider!)).toEqual({ imported: 0, notOpened: 1 });
  });

  it('move with `tessera keys import-master-key`, run as the tenants service (its account and certificate)', async () => {
    const files = stack.pki.files('tenants');
    const env = {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      DATABASE_URL: localServiceDatabaseUrls().tenants,
      CONTROL_SCHEMA: stack.config.database.controlSchema,
      DATABASE_TLS_CA_FILE: stack.pki.caFile,
      KEY_PROVIDER_URL: stack.keyService.url,
      KEY_PROVIDER_TLS_CA_FILE: stack.pki.caFile,
      TLS_CA_FILE: stack.pki.caFile,
      TLS_CERT_FILE: files.certFile,
      TLS_KEY_FILE: files.keyFile,
      LEGACY_MASTER_KEY: otherMasterKey.toString('base64'),
      LOG_LEVEL: 'info',
    };
    const root = join(__dirname, '..', '..', '..');
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [...nodeEntryArgs(join(root, 'platform/src/main.ts')), 'keys', 'import-master-key'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('exit', (exitCode) => resolve({ code: exitCode, output: text }));
    });
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(output).toContain('"imported":1');
    const tenant = tenants[2]!;
    const row = (await keyRows()).find((candidate) => candidate.tenant_id === tenant.id && candidate.version === 1)!;
    expect(row.wrapped_key.startsWith('vault:v')).toBe(true);
    stack.platform.runtimes.datasets.keyring.forget(tenant.id);
    expect((await stack.platform.runtimes.datasets.keyring.keyFor(tenant.id, 1)).equals(legacy.get(tenant.id)!)).toBe(true);
  }, 60_000);
});
