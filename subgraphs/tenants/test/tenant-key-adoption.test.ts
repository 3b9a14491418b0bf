/**
 * Tenants provisioned before per-tenant keys (their data keys wrapped by the platform KEK alone)
 * are moved under their own provider key by the tenants service once it starts. Before, nothing
 * called the adoption: erasing such a tenant destroyed no key (it never had one) while the receipt
 * named one destroyed, and a backup of its key rows and objects still decrypted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { decryptBuffer, encryptBuffer } from '@tessera/crypto';
import { isKeyProviderError } from '@tessera/key-provider';
import { dataKeyContext, quoteIdentifier, tenantKeyName } from '@tessera/tenancy';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { createErasureRunner, createProvisioner, tenantsSubgraph } from '../src/server';
import type { ErasureReceiptPayload } from '../src/domain/erasure-receipt';

interface KeyRowCopy {
  version: number;
  wrapped_key: string;
}

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const keysTable = () => `${quoteIdentifier(stack.config.database.controlSchema)}.tenant_keys`;
const rowsOf = (tenantId: string) => stack.adminQuery<KeyRowCopy[]>(`SELECT version, wrapped_key FROM ${keysTable()} WHERE tenant_id = ? ORDER BY version`, [tenantId]);

/** Turns a tenant into one of the earlier design: every row one layer (the KEK alone), no tenant key. */
async function makeSingleLayer(tenant: TestTenant): Promise<void> {
  const provider = stack.platform.runtime.keyProvider!;
  const keyring = stack.platform.runtimes.tenants.keyring;
  for (const row of await rowsOf(tenant.id)) {
    const dataKey = await keyring.keyFor(tenant.id, Number(row.version));
    const single = await provider.wrap(dataKey, dataKeyContext(tenant.id, Number(row.version)));
    await stack.adminQuery(`UPDATE ${keysTable()} SET wrapped_key = ? WHERE tenant_id = ? AND version = ?`, [single, tenant.id, row.version]);
  }
  await provider.deleteKey(tenantKeyName(tenant.id));
  keyring.forget(tenant.id);
  stack.platform.runtime.keyring.forget(tenant.id);
}

/** A backup's owner with the platform KEK: opens one or two layers, whichever the copied row has. */
async function decryptFromBackup(tenantId: string, rows: KeyRowCopy[], objectKey: string, sealed: Buffer): Promise<Buffer> {
  const provider = stack.platform.runtime.keyProvider!;
  return decryptBuffer(sealed, {
    associatedData: `${tenantId}/${objectKey}`,
    resolveKey: async (version) => {
      const row = rows.find((candidate) => Number(candidate.version) === version)!;
      const context = dataKeyContext(tenantId, version);
      const opened = await provider.unwrap(row.wrapped_key, context);
      return opened.length === 32 ? opened : provider.withKey(tenantKeyName(tenantId)).unwrap(opened.toString('utf8'), context);
    },
  });
}

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  return isKeyProviderError(error) ? error.code : error;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

describe('tenants of the earlier design (single-layer data keys)', () => {
  it('are moved under their own key by the tenants service after it starts; an erasure then shreds every copy; other tenants untouched', async () => {
    const legacy = await stack.createTenant();
    const other = await stack.createTenant();
    const keyring = stack.platform.runtimes.tenants.keyring;
    await keyring.rotate(legacy.id); // two versions, both single-layer below
    await makeSingleLayer(legacy);
    expect(await keyring.singleLayerVersions(legacy.id)).toEqual([1, 2]);
    expect(await keyring.singleLayerVersions(other.id)).toEqual([]);
    const otherRows = await rowsOf(other.id);

    const secret = Buffer.from(`legacy tenant secret ${randomBytes(8).toString('hex')}`);
    const { dataKey, keyVersion } = await stack.platform.runtime.keyring.currentKey(legacy.id);
    const sealed = await encryptBuffer(secret, { dataKey, keyVersion, associatedData: `${legacy.id}/datasets/x/v1.csv` });
    await stack.platform.runtime.objectStore.putObject(legacy.bucket, 'datasets/x/v1.csv', sealed);

    // A tenants service starting (as after an upgrade): it adopts the tenant by itself.
    const tenants = tenantsSubgraph(stack.platform.runtimes.tenants, { regions: ['us-east-1'] });
    try {
      await tenants.start?.();
      expect(await until(async () => (await keyring.singleLayerVersions(legacy.id)).length === 0, 15_000)).toBe(true);
    } finally {
      await tenants.close?.();
    }
    expect(await stack.platform.runtime.keyProvider!.keyExists(tenantKeyName(legacy.id))).toBe(true);
    // Same data keys: what was written before reads, through the services and from a backup.
    const backupRows = await rowsOf(legacy.id);
    expect((await decryptFromBackup(legacy.id, backupRows, 'datasets/x/v1.csv', sealed)).equals(secret)).toBe(true);
    stack.platform.runtime.keyring.forget(legacy.id);
    expect((await stack.platform.runtime.keyring.keyFor(legacy.id, keyVersion)).equals(dataKey)).toBe(true);
    // The other tenant's rows were not touched.
    expect(await rowsOf(other.id)).toEqual(otherRows);

    // Erasing it now destroys a key that wraps every one of its data keys: the backup is dead.
    await stack.platform.provisioner.deprovision(legacy.id);
    expect(await codeOf(decryptFromBackup(legacy.id, backupRows, 'datasets/x/v1.csv', sealed))).toBe('KEY_UNWRAP_FAILED');
  });

  it('an erasure that still finds single-layer rows says so in its signed receipt (their copies are not shredded by the tenant key)', async () => {
    const legacy = await stack.createTenant();
    await makeSingleLayer(legacy);
    const admin = await stack.platformAdminToken();
    const erasure = expectNoErrors(
      await stack.query<{ requestTenantErasure: { id: string } }>(admin, `mutation($t: ID, $c: String!) { requestTenantErasure(tenantId: $t, confirm: $c) { id } }`, { t: legacy.id, c: legacy.id }),
    ).requestTenantErasure;
    await stack.adminQuery(`UPDATE ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_erasures SET scheduled_for = ? WHERE id = ?`, [new Date(Date.now() - 1000), erasure.id]);
    const runtime = stack.platform.runtimes.tenants;
    const built = createErasureRunner(runtime, { audit: stack.platform.ports.audit }, createProvisioner(runtime, { regions: stack.config.regions }))!;
    try {
      expect(await built.runner.runDue()).toEqual([erasure.id]);
    } finally {
      await built.announcer.close();
    }
    const [row] = await stack.adminQuery<Array<{ receipt: string }>>(`SELECT receipt FROM ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_erasures WHERE id = ?`, [erasure.id]);
    const payload = JSON.parse(Buffer.from(row!.receipt.split('.')[1]!, 'base64url').toString('utf8')) as ErasureReceiptPayload;
    expect(payload.destroyed.keys).toEqual([expect.objectContaining({ keyId: tenantKeyName(legacy.id), dataKeyVersions: [1], singleLayerDataKeyVersions: [1] })]);
  });
});
