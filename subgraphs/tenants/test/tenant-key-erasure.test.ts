/**
 * Crypto-shredding: each tenant's data keys are wrapped under its own provider key
 * (`tessera-tenant-<id>`) inside the platform KEK's wrap. Erasing the tenant deletes that key, so
 * a copy of its encrypted objects and of its `tenant_keys` rows taken before the erasure (a
 * backup) no longer decrypts, although the platform KEK still opens the outer layer. Tenants
 * provisioned before per-tenant keys adopt one (same data keys, objects stay readable).
 */
import { randomBytes } from 'node:crypto';
import { decryptBuffer, encryptBuffer } from '@tessera/crypto';
import { isKeyProviderError } from '@tessera/key-provider';
import { dataKeyContext, quoteIdentifier, tenantKeyName } from '@tessera/tenancy';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

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

async function readObject(tenant: TestTenant, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await stack.platform.runtime.objectStore.getObject(tenant.bucket, key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** An encrypted object as the services write them: the tenant's current data key, bound to tenant/key. */
async function putEncrypted(tenant: TestTenant, key: string, plaintext: Buffer): Promise<Buffer> {
  const { dataKey, keyVersion } = await stack.platform.runtime.keyring.currentKey(tenant.id);
  const sealed = await encryptBuffer(plaintext, { dataKey, keyVersion, associatedData: `${tenant.id}/${key}` });
  await stack.platform.runtime.objectStore.putObject(tenant.bucket, key, sealed);
  return sealed;
}

/**
 * What someone holding a backup of the rows and of the objects (and the platform KEK, through
 * the provider) would do: open both layers of the wrapped data key, then the object.
 */
async function decryptFromBackup(tenantId: string, rows: KeyRowCopy[], objectKey: string, sealed: Buffer): Promise<Buffer> {
  const provider = stack.platform.runtime.keyProvider!;
  return decryptBuffer(sealed, {
    associatedData: `${tenantId}/${objectKey}`,
    resolveKey: async (version) => {
      const row = rows.find((candidate) => Number(candidate.version) === version)!;
      const context = dataKeyContext(tenantId, version);
      const inner = (await provider.unwrap(row.wrapped_key, context)).toString('utf8');
      return provider.withKey(tenantKeyName(tenantId)).unwrap(inner, context);
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

describe('erasing a tenant destroys its own provider key', () => {
  it('a backup of its encrypted objects and wrapped key rows, readable before, no longer decrypts afterwards; another tenant is untouched', async () => {
    const a = await stack.createTenant();
    const b = await stack.createTenant();
    const provider = stack.platform.runtime.keyProvider!;
    expect(await stack.platform.runtime.keyring.usesTenantKey(a.id)).toBe(true);
    await stack.platform.runtimes.tenants.keyring.rotate(a.id); // two data key versions, both shredded
    const secretA = Buffer.from(`tenant A secret ${randomBytes(8).toString('hex')}`);
    const secretB = Buffer.from('tenant B data');
    const sealedA = await putEncrypted(a, 'datasets/x/v1.csv', secretA);
    const sealedB = await putEncrypted(b, 'datasets/y/v1.csv', secretB);

    const backupRows = await stack.adminQuery<KeyRowCopy[]>(`SELECT version, wrapped_key FROM ${keysTable()} WHERE tenant_id = ?`, [a.id]);
    expect(backupRows).toHaveLength(2);
    const backupObject = await readObject(a, 'datasets/x/v1.csv');
    expect(backupObject.equals(sealedA)).toBe(true);
    // The backup procedure works while the tenant exists: the check below can fail.
    expect((await decryptFromBackup(a.id, backupRows, 'datasets/x/v1.csv', backupObject)).equals(secretA)).toBe(true);

    await stack.platform.provisioner.deprovision(a.id);

    expect(await provider.keyExists(tenantKeyName(a.id))).toBe(false);
    // The platform KEK still opens the outer layer of the copied row: only the tenant's key was destroyed ...
    const inner = (await provider.unwrap(backupRows[0]!.wrapped_key, dataKeyContext(a.id, Number(backupRows[0]!.version)))).toString('utf8');
    expect(inner.startsWith('vault:v')).toBe(true);
    // ... and the inner layer, hence the data key and the object, is gone for good.
    expect(await codeOf(decryptFromBackup(a.id, backupRows, 'datasets/x/v1.csv', backupObject))).toBe('KEY_UNWRAP_FAILED');
    // A tenant re-provisioned under the same id gets a new key: the old copies stay unreadable.
    await stack.platform.provisioner.provision({ id: a.id, displayName: 'again', region: 'us-east-1', tier: 'shared' });
    expect(await codeOf(decryptFromBackup(a.id, backupRows, 'datasets/x/v1.csv', backupObject))).toBe('KEY_UNWRAP_FAILED');
    await stack.platform.provisioner.deprovision(a.id);

    // Tenant B: its key, rows and object as before.
    expect(await provider.keyExists(tenantKeyName(b.id))).toBe(true);
    const rowsB = await stack.adminQuery<KeyRowCopy[]>(`SELECT version, wrapped_key FROM ${keysTable()} WHERE tenant_id = ?`, [b.id]);
    expect((await decryptFromBackup(b.id, rowsB, 'datasets/y/v1.csv', await readObject(b, 'datasets/y/v1.csv'))).equals(secretB)).toBe(true);
    expect(sealedB.length).toBeGreaterThan(secretB.length);
  });
});

describe('tenants provisioned before per-tenant keys', () => {
  it('adopt their own key: the same data keys, every object still readable, and from then on shreddable', async () => {
    const tenant = await stack.createTenant();
    const provider = stack.platform.runtime.keyProvider!;
    const keyring = stack.platform.runtimes.tenants.keyring;
    // Turn it into a tenant of the earlier design: single-layer rows, no tenant key.
    const rows = await stack.adminQuery<KeyRowCopy[]>(`SELECT version, wrapped_key FROM ${keysTable()} WHERE tenant_id = ?`, [tenant.id]);
    const dataKey = await keyring.keyFor(tenant.id, 1);
    const single = await provider.wrap(dataKey, dataKeyContext(tenant.id, 1));
    await stack.adminQuery(`UPDATE ${keysTable()} SET wrapped_key = ? WHERE tenant_id = ? AND version = 1`, [single, tenant.id]);
    await provider.deleteKey(tenantKeyName(tenant.id));
    keyring.forget(tenant.id);
    stack.platform.runtime.keyring.forget(tenant.id);
    expect(rows).toHaveLength(1);
    expect(await keyring.usesTenantKey(tenant.id)).toBe(false);
    const sealed = await putEncrypted(tenant, 'old/object', Buffer.from('written before adoption'));

    expect(await keyring.adoptTenantKey(tenant.id)).toBe(1);
    expect(await keyring.adoptTenantKey(tenant.id)).toBe(0); // idempotent
    expect(await keyring.usesTenantKey(tenant.id)).toBe(true);
    expect((await keyring.keyFor(tenant.id, 1)).equals(dataKey)).toBe(true);
    const adopted = await stack.adminQuery<KeyRowCopy[]>(`SELECT version, wrapped_key FROM ${keysTable()} WHERE tenant_id = ?`, [tenant.id]);
    expect((await decryptFromBackup(tenant.id, adopted, 'old/object', sealed)).toString()).toBe('written before adoption');

    await stack.platform.provisioner.deprovision(tenant.id);
    expect(await codeOf(decryptFromBackup(tenant.id, adopted, 'old/object', sealed))).toBe('KEY_UNWRAP_FAILED');
  });
});
