import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

const exportEvents = `mutation($from: DateTime!, $to: DateTime!) { exportAuditEvents(from: $from, to: $to) { objectKey proofObjectKey eventCount } }`;
const checkpoint = 'mutation { createAuditCheckpoint { sequence } }';

interface QuotaRow {
  name: string;
  limit: number;
  used: number;
  reserved: number;
}

async function storageOf(stack: TestStack, token: string): Promise<QuotaRow> {
  const data = expectNoErrors(await stack.query<{ tenantUsage: { quotas: QuotaRow[] } }>(token, '{ tenantUsage { quotas { name limit used reserved } } }'));
  return data.tenantUsage.quotas.find((q) => q.name === 'storageBytes')!;
}

async function objectsOf(stack: TestStack, tenant: TestTenant): Promise<Record<string, number>> {
  const objects: Record<string, number> = {};
  for await (const item of stack.platform.runtime.objectStore.listObjectsV2(tenant.bucket, '', true)) if (item.name) objects[item.name] = item.size;
  return objects;
}

async function countRows(stack: TestStack, tenant: TestTenant, sql: string): Promise<number> {
  const rows = (await stack.platform.runtime.db.query(sql.replace('$schema', `\`${tenant.schema}\``))) as Array<{ n: string | number }>;
  return Number(rows[0]?.n ?? 0);
}

/**
 * Audit exports and checkpoint copies are objects in the tenant's bucket, so they count in its
 * storage quota: over quota, neither is written (no object, no checkpoint row, no export event).
 */
describe('audit: exports and checkpoints count in the storage quota', () => {
  let stack: TestStack;
  let full: TestTenant;
  let other: TestTenant;
  let admin: string;
  const period = { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' };

  beforeAll(async () => {
    stack = await startTestStack();
    [full, other] = await Promise.all([stack.createTenant({ limits: { maxStorageBytes: 1 } }), stack.createTenant()]);
    admin = await full.token('admin');
    expectNoErrors(await stack.query(admin, 'mutation { createDataset(input: { name: "something-to-audit" }) { id } }'));
    await stack.drainAudit(full.id);
  });
  afterAll(() => stack?.stop());

  it('an export that does not fit is QUOTA_EXCEEDED and writes nothing', async () => {
    const response = await stack.query(admin, exportEvents, period);
    expect(errorCodes(response)).toEqual(['QUOTA_EXCEEDED']);
    expect(response.errors?.[0]?.extensions).toMatchObject({ quota: 'storageBytes', limit: 1, used: 0 });
    expect(await objectsOf(stack, full)).toEqual({});
    await stack.drainAudit(full.id);
    expect(await countRows(stack, full, "SELECT COUNT(*) AS n FROM $schema.audit_events WHERE action = 'audit.export'")).toBe(0);
    expect(await storageOf(stack, admin)).toMatchObject({ used: 0, reserved: 0 });
  });

  it('a checkpoint that does not fit is QUOTA_EXCEEDED: no row, no object', async () => {
    const response = await stack.query(admin, checkpoint);
    expect(errorCodes(response)).toEqual(['QUOTA_EXCEEDED']);
    expect(response.errors?.[0]?.extensions).toMatchObject({ quota: 'storageBytes', limit: 1, used: 0 });
    expect(await countRows(stack, full, 'SELECT COUNT(*) AS n FROM $schema.audit_checkpoints')).toBe(0);
    expect(await objectsOf(stack, full)).toEqual({});
    // Another tenant's checkpoints are not held back by this one's quota.
    const otherAdmin = await other.token('admin');
    expectNoErrors(await stack.query(otherAdmin, 'mutation { createDataset(input: { name: "x" }) { id } }'));
    await stack.drainAudit(other.id);
    expect(expectNoErrors(await stack.query<{ createAuditCheckpoint: { sequence: number } | null }>(otherAdmin, checkpoint)).createAuditCheckpoint).not.toBeNull();
    expect((await storageOf(stack, otherAdmin)).used).toBe(Object.values(await objectsOf(stack, other)).reduce((a, b) => a + b, 0));
  });

  it('with room, both are written and counted byte for byte', async () => {
    const platformAdmin = await stack.platformAdminToken();
    expectNoErrors(await stack.query(platformAdmin, 'mutation($id: ID!) { setTenantLimits(id: $id, limits: { maxStorageBytes: null }) { id } }', { id: full.id }));
    const exported = expectNoErrors(await stack.query<{ exportAuditEvents: { objectKey: string; proofObjectKey: string } }>(admin, exportEvents, period)).exportAuditEvents;
    expect(expectNoErrors(await stack.query<{ createAuditCheckpoint: { sequence: number } | null }>(admin, checkpoint)).createAuditCheckpoint).not.toBeNull();
    const objects = await objectsOf(stack, full);
    expect(Object.keys(objects)).toEqual(expect.arrayContaining([exported.objectKey, exported.proofObjectKey]));
    expect(Object.keys(objects).some((key) => key.startsWith('audit/checkpoints/'))).toBe(true);
    expect(await storageOf(stack, admin)).toMatchObject({ used: Object.values(objects).reduce((a, b) => a + b, 0), reserved: 0 });
  });
});
