/**
 * A write that took the tenant's current data key before a rotation and lands after the old
 * version was re-encrypted away and destroyed: an audit export streaming while an admin runs the
 * compromise runbook (rotate, re-encrypt, retire). The export must not be stored, and answered as
 * done, under a key that no longer exists: it would never open, and every later re-encryption run
 * would fail on it.
 */
import { quoteIdentifier } from '@tessera/tenancy';
import { TenantBucket } from '@tessera/storage';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

const rotate = `mutation { rotateTenantKey { currentVersion } }`;
const reencrypt = `mutation { reencryptTenantObjects { id status } }`;
const operationQuery = `query($id: ID!) { keyOperation(id: $id) { status remaining lastError } }`;
const retire = `mutation($version: Int!) { retireTenantKeyVersion(version: $version) { versions { version } } }`;
const exportEvents = 'mutation($f: DateTime!, $t: DateTime!) { exportAuditEvents(from: $f, to: $t) { objectKey } }';

let stack: TestStack;
let tenant: TestTenant;
let admin: string;

async function finished(id: string): Promise<{ status: string; remaining: number | null; lastError: string | null }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const operation = expectNoErrors(await stack.query<{ keyOperation: { status: string; remaining: number | null; lastError: string | null } }>(admin, operationQuery, { id })).keyOperation;
    if (operation.status !== 'RUNNING') return operation;
    if (Date.now() > deadline) throw new Error(`run ${id} still RUNNING`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function runReencryption(): Promise<{ status: string; remaining: number | null; lastError: string | null }> {
  const started = expectNoErrors(await stack.query<{ reencryptTenantObjects: { id: string } }>(admin, reencrypt, {})).reencryptTenantObjects;
  return finished(started.id);
}

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await stack.createTenant();
  admin = await tenant.token('admin');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

it('an export keyed before the rotation and stored after its version was destroyed is refused (CONFLICT) and leaves nothing; later runs and retirements work', async () => {
  const original = TenantBucket.prototype.putEncrypted;
  let reached!: () => void;
  const atStore = new Promise<void>((resolve) => (reached = resolve));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  // The export has taken the current key (v1) and is about to stream; it stalls here while the runbook runs.
  const spy = jest.spyOn(TenantBucket.prototype, 'putEncrypted').mockImplementation(async function (this: TenantBucket, ...args: Parameters<TenantBucket['putEncrypted']>) {
    if (args[0].startsWith('audit-exports/')) {
      reached();
      await gate;
    }
    return original.apply(this, args);
  });
  try {
    const exporting = stack.query<{ exportAuditEvents: { objectKey: string } }>(admin, exportEvents, { f: new Date(Date.now() - 3600_000).toISOString(), t: new Date(Date.now() + 60_000).toISOString() });
    await atStore;
    expect(expectNoErrors(await stack.query<{ rotateTenantKey: { currentVersion: number } }>(admin, rotate, {})).rotateTenantKey.currentVersion).toBe(2);
    expect(await runReencryption()).toMatchObject({ status: 'DONE', remaining: 0 });
    // Nothing stored under v1 is visible yet, so v1 goes.
    expectNoErrors(await stack.query(admin, retire, { version: 1 }));
    // Every service's cached copy of v1 lapses (at most 60 s after the destruction).
    for (const runtime of Object.values(stack.platform.runtimes)) runtime.keyring.forget(tenant.id);
    release();
    const answer = await exporting;
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'DATA_KEY_DESTROYED' });
  } finally {
    spy.mockRestore();
    release();
  }
  // Nothing was left in the bucket under the destroyed version.
  const scope = await stack.platform.runtimes.audit.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 'test', sourceIp: undefined });
  const versions: number[] = [];
  for (const key of await scope.bucket.listKeys('audit-exports/')) versions.push((await scope.bucket.headerKeyVersion(key)) ?? -1);
  expect(versions).toEqual([]);
  // The runbook goes on: another rotation, a run that finishes, the retirement of v2.
  expectNoErrors(await stack.query(admin, rotate, {}));
  expect(await runReencryption()).toMatchObject({ status: 'DONE', remaining: 0, lastError: null });
  expect(errorCodes(await stack.query(admin, retire, { version: 2 }))).toEqual([]);
  const keys = await stack.adminQuery<Array<{ version: number }>>(`SELECT version FROM ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_keys WHERE tenant_id = ?`, [tenant.id]);
  expect(keys.map((row) => Number(row.version))).toEqual([3]);
  // A new export works and reads.
  const fresh = expectNoErrors(await stack.query<{ exportAuditEvents: { objectKey: string } }>(admin, exportEvents, { f: new Date(Date.now() - 3600_000).toISOString(), t: new Date(Date.now() + 60_000).toISOString() })).exportAuditEvents;
  expect((await scope.bucket.getDecryptedBuffer(fresh.objectKey, scope.resolveDataKey)).toString('utf8')).toContain('"action"');
});
