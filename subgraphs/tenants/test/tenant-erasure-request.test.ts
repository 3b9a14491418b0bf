/**
 * requestTenantErasure / cancelTenantErasure through the gateway: who may ask (the tenant's admin
 * for its own tenant, a platform admin naming it), the confirmation, the suspension at once, the
 * cancellation during the grace period (everything intact), and the audit trail.
 */
import { drainSecurityOutbox, settleDeferredRecords } from '@tessera/audit-client';
import { quoteIdentifier } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

const requestMutation = `mutation($tenantId: ID, $confirm: String!) { requestTenantErasure(tenantId: $tenantId, confirm: $confirm) { id tenantId tenantIdHash status requestedAt scheduledFor cancelledAt erasedAt receipt } }`;
const cancelMutation = `mutation($id: ID!) { cancelTenantErasure(id: $id) { id status cancelledAt } }`;
const erasureQuery = `query($id: ID!) { tenantErasure(id: $id) { id tenantId status scheduledFor } }`;
const currentTenant = `{ currentTenant { id status } }`;

interface Erasure {
  id: string;
  tenantId: string | null;
  tenantIdHash: string;
  status: string;
  requestedAt: string;
  scheduledFor: string;
  cancelledAt: string | null;
}

let stack: TestStack;
let a: TestTenant;
let b: TestTenant;
let platformAdmin: string;

beforeAll(async () => {
  stack = await startTestStack();
  [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
  platformAdmin = await stack.platformAdminToken();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

const tokenOf = (tenant: TestTenant, role: string) => stack.issueToken({ tenant: tenant.id, roles: [role] });
const status = async (id: string) => (await stack.platform.runtime.tenants.find(id))?.status;
const erasureRows = (id: string) => stack.adminQuery<Array<{ status: string }>>(`SELECT status FROM ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_erasures WHERE tenant_id = ?`, [id]);
async function securityActions(tenantId: string): Promise<string[]> {
  await drainSecurityOutbox(stack.platform.runtime.db, stack.config.database.controlSchema);
  const rows = await stack.adminQuery<Array<{ action: string }>>(`SELECT action FROM ${quoteIdentifier(stack.config.database.controlSchema)}.security_events WHERE tenant_id = ? ORDER BY seq`, [tenantId]);
  return rows.map((row) => row.action);
}

describe('who may ask for an erasure', () => {
  it("a viewer is FORBIDDEN; tenant B's admin naming A gets NOT_FOUND; a wrong confirmation is BAD_USER_INPUT; none of them changes anything", async () => {
    const viewer = await tokenOf(a, 'viewer');
    expect(errorCodes(await stack.query(viewer, requestMutation, { confirm: a.id }))).toEqual(['FORBIDDEN']);
    const adminB = await tokenOf(b, 'admin');
    expect(errorCodes(await stack.query(adminB, requestMutation, { tenantId: a.id, confirm: a.id }))).toEqual(['NOT_FOUND']);
    const adminA = await tokenOf(a, 'admin');
    expect(errorCodes(await stack.query(adminA, requestMutation, { confirm: b.id }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(platformAdmin, requestMutation, { tenantId: a.id, confirm: 'nope' }))).toEqual(['BAD_USER_INPUT']);
    expect(await erasureRows(a.id)).toEqual([]);
    expect(await erasureRows(b.id)).toEqual([]);
    expect(await status(a.id)).toBe('ACTIVE');
    expect(expectNoErrors(await stack.query<{ currentTenant: { status: string } }>(adminA, currentTenant)).currentTenant.status).toBe('ACTIVE');
  });
});

describe('request, grace period, cancel', () => {
  it("the tenant's admin asks: scheduled after the grace period, the tenant suspended at once; B's admin cannot see or cancel it; a platform admin cancels and everything is as before", async () => {
    const adminA = await tokenOf(a, 'admin');
    const asked = Date.now();
    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: Erasure }>(adminA, requestMutation, { confirm: a.id })).requestTenantErasure;
    expect(erasure).toMatchObject({ tenantId: a.id, status: 'PENDING', cancelledAt: null, erasedAt: null, receipt: null });
    expect(erasure.tenantIdHash).toMatch(/^[0-9a-f]{64}$/);
    const grace = Date.parse(erasure.scheduledFor) - Date.parse(erasure.requestedAt);
    expect(grace).toBe(72 * 3_600_000);
    expect(Date.parse(erasure.requestedAt)).toBeGreaterThanOrEqual(asked - 1000);

    expect(await status(a.id)).toBe('SUSPENDED');
    // Suspended for its users at once: the gateway refuses the tenant.
    expect(errorCodes(await stack.query(await tokenOf(a, 'viewer'), currentTenant)).length).toBeGreaterThan(0);
    // A second request while one is pending: CONFLICT.
    expect(errorCodes(await stack.query(platformAdmin, requestMutation, { tenantId: a.id, confirm: a.id }))).toEqual(['CONFLICT']);

    const adminB = await tokenOf(b, 'admin');
    expect(errorCodes(await stack.query(adminB, cancelMutation, { id: erasure.id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(adminB, erasureQuery, { id: erasure.id }))).toEqual(['NOT_FOUND']);
    // Both attempts are B's cross_tenant_attempt, as for any other id of another tenant.
    await settleDeferredRecords();
    await stack.drainAudit(b.id);
    const attempts = await stack.adminQuery<Array<{ target_type: string }>>(`SELECT target_type FROM \`${b.schema}\`.audit_events WHERE action = 'cross_tenant_attempt' AND target_id = ?`, [erasure.id]);
    expect(attempts).toEqual([{ target_type: 'TenantErasure' }, { target_type: 'TenantErasure' }]);
    // A malformed id is bad input, a well-formed unknown one NOT_FOUND, as for every other id.
    expect(errorCodes(await stack.query(platformAdmin, erasureQuery, { id: 'zzz' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(platformAdmin, cancelMutation, { id: 'zzz' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(platformAdmin, erasureQuery, { id: '00000000-0000-4000-8000-000000000000' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(await tokenOf(b, 'viewer'), cancelMutation, { id: erasure.id }))).toEqual(['FORBIDDEN']);
    expect(expectNoErrors(await stack.query<{ tenantErasure: Erasure }>(platformAdmin, erasureQuery, { id: erasure.id })).tenantErasure.status).toBe('PENDING');

    const cancelled = expectNoErrors(await stack.query<{ cancelTenantErasure: Erasure }>(platformAdmin, cancelMutation, { id: erasure.id })).cancelTenantErasure;
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.cancelledAt).not.toBeNull();
    expect(errorCodes(await stack.query(platformAdmin, cancelMutation, { id: erasure.id }))).toEqual(['CONFLICT']);

    // Everything intact: the tenant active again, its schema, bucket, data keys and provider key.
    expect(await status(a.id)).toBe('ACTIVE');
    expect(expectNoErrors(await stack.query<{ currentTenant: { status: string } }>(adminA, currentTenant)).currentTenant.status).toBe('ACTIVE');
    const schemas = await stack.adminQuery<unknown[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [a.schema]);
    expect(schemas).toHaveLength(1);
    expect(await stack.platform.runtime.objectStore.bucketExists(a.bucket)).toBe(true);
    expect(await stack.platform.runtime.keyring.usesTenantKey(a.id)).toBe(true);
    expect(await stack.platform.runtime.keyring.currentKey(a.id)).toMatchObject({ keyVersion: 1 });
    expect(await securityActions(a.id)).toEqual(expect.arrayContaining(['tenant.erasure.request', 'tenant.erasure.cancel']));
    expect(await status(b.id)).toBe('ACTIVE');
  });

  it('cancelling does not resume a tenant a platform admin had suspended before the request', async () => {
    expectNoErrors(await stack.query(platformAdmin, `mutation($id: ID!) { suspendTenant(id: $id) { id } }`, { id: b.id }));
    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: Erasure }>(platformAdmin, requestMutation, { tenantId: b.id, confirm: b.id })).requestTenantErasure;
    expectNoErrors(await stack.query(platformAdmin, cancelMutation, { id: erasure.id }));
    expect(await status(b.id)).toBe('SUSPENDED');
    expectNoErrors(await stack.query(platformAdmin, `mutation($id: ID!) { resumeTenant(id: $id) { id } }`, { id: b.id }));
  });

  it('provisionTenant of an id whose erasure is running is CONFLICT, also once its rows are gone (the runner still works by that id): no tenant is created', async () => {
    const tenant = await stack.createTenant();
    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: Erasure }>(platformAdmin, requestMutation, { tenantId: tenant.id, confirm: tenant.id })).requestTenantErasure;
    const provision = `mutation($input: ProvisionTenantInput!) { provisionTenant(input: $input) { tenant { id status } } }`;
    const input = { id: tenant.id, displayName: 'Again', region: 'us-east-1' };
    // Pending: the tenant exists, provisioning the same id is idempotent (it stays suspended).
    expect(expectNoErrors(await stack.query<{ provisionTenant: { tenant: { status: string } } }>(platformAdmin, provision, { input })).provisionTenant.tenant.status).toBe('SUSPENDED');
    // Running, past the step that removed its rows (as the runner leaves it before the security log and the receipt).
    await stack.adminQuery(`UPDATE ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_erasures SET status = 'RUNNING' WHERE id = ?`, [erasure.id]);
    await stack.platform.provisioner.deprovision(tenant.id);
    const refused = await stack.query(platformAdmin, provision, { input });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'ERASURE_RUNNING', requestId: erasure.id });
    expect(await status(tenant.id)).toBeUndefined();
    expect(await stack.adminQuery<unknown[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [tenant.schema])).toEqual([]);
    // Bad input stays bad input.
    expect(errorCodes(await stack.query(platformAdmin, provision, { input: { ...input, id: 'Not An Id' } }))).toEqual(['BAD_USER_INPUT']);
    await stack.adminQuery(`DELETE FROM ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_erasures WHERE id = ?`, [erasure.id]);
  });

  it('resumeTenant is CONFLICT while the erasure is pending or running (the tenant stays suspended); once cancelled, the tenant is active again', async () => {
    const resume = `mutation($id: ID!) { resumeTenant(id: $id) { id status } }`;
    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: Erasure }>(platformAdmin, requestMutation, { tenantId: a.id, confirm: a.id })).requestTenantErasure;
    const refused = await stack.query(platformAdmin, resume, { id: a.id });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'ERASURE_PENDING', requestId: erasure.id });
    expect(await status(a.id)).toBe('SUSPENDED');
    // Started by the runner (RUNNING): still refused.
    await stack.adminQuery(`UPDATE ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_erasures SET status = 'RUNNING' WHERE id = ?`, [erasure.id]);
    expect(errorCodes(await stack.query(platformAdmin, resume, { id: a.id }))).toEqual(['CONFLICT']);
    expect(await status(a.id)).toBe('SUSPENDED');
    await stack.adminQuery(`UPDATE ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_erasures SET status = 'PENDING' WHERE id = ?`, [erasure.id]);
    expectNoErrors(await stack.query(platformAdmin, cancelMutation, { id: erasure.id }));
    expect(await status(a.id)).toBe('ACTIVE');
    expect(expectNoErrors(await stack.query<{ resumeTenant: { status: string } }>(platformAdmin, resume, { id: a.id })).resumeTenant.status).toBe('ACTIVE');
  });
});

describe('resuming a tenant pending erasure', () => {
  it('resumeTenant is CONFLICT (ERASURE_PENDING) while an erasure is open, and changes nothing; once cancelled the tenant is active again', async () => {
    const tenant = await stack.createTenant();
    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: Erasure }>(platformAdmin, requestMutation, { tenantId: tenant.id, confirm: tenant.id })).requestTenantErasure;
    const resume = await stack.query(platformAdmin, `mutation($id: ID!) { resumeTenant(id: $id) { id status } }`, { id: tenant.id });
    expect(errorCodes(resume)).toEqual(['CONFLICT']);
    expect(resume.errors?.[0]?.extensions).toMatchObject({ reason: 'ERASURE_PENDING', requestId: erasure.id });
    // Still suspended: its users stay refused until the erasure is cancelled or done.
    expect(await status(tenant.id)).toBe('SUSPENDED');
    expect(errorCodes(await stack.query(await tokenOf(tenant, 'admin'), currentTenant)).length).toBeGreaterThan(0);
    expect(await securityActions(tenant.id)).not.toContain('tenant.resume');
    expectNoErrors(await stack.query(platformAdmin, cancelMutation, { id: erasure.id }));
    expect(await status(tenant.id)).toBe('ACTIVE');
  });

  it("a platform admin's suspension while the erasure is pending outlasts the request: cancelling it leaves the tenant suspended, and only resumeTenant brings it back", async () => {
    const tenant = await stack.createTenant();
    const tenantAdmin = await tokenOf(tenant, 'admin');
    const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: Erasure }>(tenantAdmin, requestMutation, { tenantId: tenant.id, confirm: tenant.id })).requestTenantErasure;
    expect(await status(tenant.id)).toBe('SUSPENDED');
    // Suspended for abuse while the request waits: the answer is the suspended tenant, as always.
    const suspended = await stack.query<{ suspendTenant: { status: string } }>(platformAdmin, `mutation($id: ID!) { suspendTenant(id: $id) { id status } }`, { id: tenant.id });
    expect(expectNoErrors(suspended).suspendTenant.status).toBe('SUSPENDED');
    expect(await securityActions(tenant.id)).toContain('tenant.suspend');
    // The cancel is the platform admin's here (the tenant's own admin is refused while suspended), and it still does not resume.
    expectNoErrors(await stack.query(platformAdmin, cancelMutation, { id: erasure.id }));
    expect(await erasureRows(tenant.id)).toEqual([{ status: 'CANCELLED' }]);
    expect(await status(tenant.id)).toBe('SUSPENDED');
    expect(errorCodes(await stack.query(tenantAdmin, currentTenant)).length).toBeGreaterThan(0);
    // Only a deliberate resume gives it back.
    expect(expectNoErrors(await stack.query<{ resumeTenant: { status: string } }>(platformAdmin, `mutation($id: ID!) { resumeTenant(id: $id) { id status } }`, { id: tenant.id })).resumeTenant.status).toBe('ACTIVE');
    expectNoErrors(await stack.query(tenantAdmin, currentTenant));
  });
});

describe('requests at the same time', () => {
  it('twelve requests for one tenant at once leave exactly one open request; the rest are CONFLICT naming it, and cancelling it resumes the tenant with nothing left scheduled', async () => {
    const tenant = await stack.createTenant();
    const answers = await Promise.all(Array.from({ length: 12 }, () => stack.query<{ requestTenantErasure: Erasure }>(platformAdmin, requestMutation, { tenantId: tenant.id, confirm: tenant.id })));
    const granted = answers.filter((answer) => errorCodes(answer).length === 0).map((answer) => answer.data!.requestTenantErasure);
    expect(granted).toHaveLength(1);
    const refusals = answers.filter((answer) => errorCodes(answer).length > 0);
    expect(refusals.map(errorCodes)).toEqual(Array.from({ length: 11 }, () => ['CONFLICT']));
    for (const refusal of refusals) expect(refusal.errors?.[0]?.extensions).toMatchObject({ reason: 'ERASURE_PENDING', requestId: granted[0]!.id });
    expect(await erasureRows(tenant.id)).toEqual([{ status: 'PENDING' }]);
    expectNoErrors(await stack.query(platformAdmin, cancelMutation, { id: granted[0]!.id }));
    expect(await erasureRows(tenant.id)).toEqual([{ status: 'CANCELLED' }]);
    expect(await status(tenant.id)).toBe('ACTIVE');
  });

  it("a platform admin's suspension sent at the same moment as the cancel outlasts it, whichever runs first (the suspension answered SUSPENDED; the cancel used to resume the tenant after it)", async () => {
    const suspendMutation = `mutation($id: ID!) { suspendTenant(id: $id) { id status } }`;
    // One tenant for the four rounds, brought back before each to where a fresh one starts (active,
    // no erasure row): a tenant made and erased per round was most of this test's time.
    const tenant = await stack.createTenant();
    for (let round = 0; round < 4; round++) {
      if (round > 0) {
        expectNoErrors(await stack.query(platformAdmin, `mutation($id: ID!) { resumeTenant(id: $id) { id } }`, { id: tenant.id }));
        await stack.adminQuery(`DELETE FROM ${quoteIdentifier(stack.config.database.controlSchema)}.tenant_erasures WHERE tenant_id = ?`, [tenant.id]);
        expect({ round, status: await status(tenant.id), erasures: await erasureRows(tenant.id) }).toEqual({ round, status: 'ACTIVE', erasures: [] });
      }
      const erasure = expectNoErrors(await stack.query<{ requestTenantErasure: Erasure }>(platformAdmin, requestMutation, { tenantId: tenant.id, confirm: tenant.id })).requestTenantErasure;
      const [cancelled, suspended] = await Promise.all([
        stack.query<{ cancelTenantErasure: Erasure }>(platformAdmin, cancelMutation, { id: erasure.id }),
        stack.query<{ suspendTenant: { status: string } }>(platformAdmin, suspendMutation, { id: tenant.id }),
      ]);
      expect(expectNoErrors(cancelled).cancelTenantErasure.status).toBe('CANCELLED');
      expect(expectNoErrors(suspended).suspendTenant.status).toBe('SUSPENDED');
      expect({ round, status: await status(tenant.id) }).toEqual({ round, status: 'SUSPENDED' });
      expect(await erasureRows(tenant.id)).toEqual([{ status: 'CANCELLED' }]);
    }
  });

  it('six cancels of one request at once: one cancels it (one event each log), the others are CONFLICT saying it is cancelled, never that it started', async () => {
    const tenant = await stack.createTenant();
    const requested = expectNoErrors(await stack.query<{ requestTenantErasure: Erasure }>(platformAdmin, requestMutation, { tenantId: tenant.id, confirm: tenant.id })).requestTenantErasure;
    const answers = await Promise.all(Array.from({ length: 6 }, () => stack.query<{ cancelTenantErasure: Erasure }>(platformAdmin, cancelMutation, { id: requested.id })));
    const cancelled = answers.filter((answer) => errorCodes(answer).length === 0);
    expect(cancelled).toHaveLength(1);
    const refusals = answers.filter((answer) => errorCodes(answer).length > 0);
    expect(refusals.map(errorCodes)).toEqual(Array.from({ length: 5 }, () => ['CONFLICT']));
    for (const refusal of refusals) {
      expect(refusal.errors?.[0]?.extensions).toMatchObject({ reason: 'ERASURE_NOT_PENDING', status: 'CANCELLED' });
      expect(refusal.errors?.[0]?.message).toBe(`Erasure ${requested.id} is cancelled: only a pending one can be cancelled.`);
    }
    // A cancel sent afterwards answers the same.
    const later = await stack.query(platformAdmin, cancelMutation, { id: requested.id });
    expect(later.errors?.[0]?.message).toBe(refusals[0]!.errors?.[0]?.message);
    expect(later.errors?.[0]?.extensions).toMatchObject({ reason: 'ERASURE_NOT_PENDING', status: 'CANCELLED' });
    expect(await erasureRows(tenant.id)).toEqual([{ status: 'CANCELLED' }]);
    expect(await status(tenant.id)).toBe('ACTIVE');
    expect((await securityActions(tenant.id)).filter((action) => action === 'tenant.erasure.cancel')).toHaveLength(1);
  });
});
