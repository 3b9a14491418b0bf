import { quoteIdentifier } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { controlRows, expectOnlyError, freshTenantId, schemaExists, tenantFields, type TenantView } from './support';

const createDataset = 'mutation Create($input: CreateDatasetInput!) { createDataset(input: $input) { id name } }';
const suspend = `mutation Suspend($id: ID!) { suspendTenant(id: $id) { ${tenantFields} } }`;
const resume = `mutation Resume($id: ID!) { resumeTenant(id: $id) { ${tenantFields} } }`;
const oneTenant = `query One($id: ID!) { tenant(id: $id) { ${tenantFields} } }`;

describe('tenant queries: platform operators vs tenant users', () => {
  let stack: TestStack;
  let platformAdmin: string;
  let acme: TestTenant;
  let globex: TestTenant;

  beforeAll(async () => {
    stack = await startTestStack();
    platformAdmin = await stack.platformAdminToken();
    acme = await stack.createTenant();
    globex = await stack.createTenant({ tier: 'dedicated', limits: { costPerMinute: 1234 } });
  });
  afterAll(() => stack?.stop());

  async function datasetsIn(tenant: TestTenant): Promise<string[]> {
    const rows = (await stack.platform.runtime.db.query(`SELECT name FROM ${quoteIdentifier(tenant.schema)}.datasets ORDER BY name`)) as Array<{ name: string }>;
    return rows.map((row) => row.name);
  }

  describe('tenants / tenant(id)', () => {
    it('a platform admin lists every tenant', async () => {
      const res = expectNoErrors(await stack.query<{ tenants: TenantView[] }>(platformAdmin, `{ tenants { ${tenantFields} } }`));
      expect(res.tenants.map((t) => t.id)).toEqual([acme.id, globex.id].sort());
      expect(res.tenants.find((t) => t.id === globex.id)).toMatchObject({ tier: 'DEDICATED', status: 'ACTIVE', limits: { costPerMinute: 1234 } });
    });

    it('a platform admin reads one tenant', async () => {
      const res = expectNoErrors(await stack.query<{ tenant: TenantView }>(platformAdmin, oneTenant, { id: globex.id }));
      expect(res.tenant).toMatchObject({ id: globex.id, displayName: `Test ${globex.id}`, region: 'us-east-1', tier: 'DEDICATED', status: 'ACTIVE' });
    });

    it('an unknown id is NOT_FOUND and an invalid id is BAD_USER_INPUT, for a platform admin', async () => {
      expectOnlyError(await stack.query(platformAdmin, oneTenant, { id: freshTenantId('nobody') }), 'NOT_FOUND');
      expectOnlyError(await stack.query(platformAdmin, oneTenant, { id: "x'; SELECT 1; --" }), 'BAD_USER_INPUT');
    });

    it.each(['admin', 'data_scientist', 'viewer'] as const)('a tenant %s gets FORBIDDEN for tenants', async (role) => {
      expectOnlyError(await stack.query(await acme.token(role), `{ tenants { id } }`), 'FORBIDDEN');
    });

    it("a tenant admin gets the same FORBIDDEN for tenant(id) whether the id is its own, another tenant's or unknown", async () => {
      const token = await acme.token('admin');
      const responses = await Promise.all(
        [acme.id, globex.id, freshTenantId('nobody')].map((id) => stack.query(token, oneTenant, { id })),
      );
      for (const res of responses) expectOnlyError(res, 'FORBIDDEN');
      // Nothing in the answer tells an existing tenant from a missing one.
      expect(new Set(responses.map((res) => JSON.stringify({ status: res.status, errors: res.errors?.map((e) => ({ ...e, message: e.message.replace(/"[^"]*"/g, '""') })) }))).size).toBe(1);
    });

    it('a token of a tenant that does not exist is refused with FORBIDDEN', async () => {
      const token = await stack.issueToken({ tenant: freshTenantId('ghost'), roles: ['admin'] });
      const res = await stack.query(token, '{ currentTenant { id } }');
      expectOnlyError(res, 'FORBIDDEN');
      expect(res.status).toBe(403);
    });
  });

  describe('currentTenant', () => {
    it.each(['admin', 'viewer'] as const)('returns only the caller\'s own tenant (%s)', async (role) => {
      for (const tenant of [acme, globex]) {
        const res = expectNoErrors(await stack.query<{ currentTenant: TenantView }>(await tenant.token(role), `{ currentTenant { ${tenantFields} } }`));
        expect(res.currentTenant).toMatchObject({ id: tenant.id, status: 'ACTIVE' });
      }
    });

    it('is FORBIDDEN for a platform admin, who belongs to no tenant', async () => {
      expectOnlyError(await stack.query(platformAdmin, '{ currentTenant { id } }'), 'FORBIDDEN');
    });
  });

  describe('suspendTenant / resumeTenant', () => {
    let tenant: TestTenant;
    let admin: string;

    beforeAll(async () => {
      tenant = await stack.createTenant();
      admin = await tenant.token('admin');
      expectNoErrors(await stack.query(admin, createDataset, { input: { name: 'before-suspension' } }));
    });

    it('tenant users cannot suspend or resume (FORBIDDEN), not even their own tenant, and nothing changes', async () => {
      const before = await controlRows(stack, tenant.id);
      expectOnlyError(await stack.query(admin, suspend, { id: tenant.id }), 'FORBIDDEN');
      expectOnlyError(await stack.query(admin, suspend, { id: globex.id }), 'FORBIDDEN');
      expectOnlyError(await stack.query(admin, resume, { id: tenant.id }), 'FORBIDDEN');
      expect(await controlRows(stack, tenant.id)).toEqual(before);
      expect((await controlRows(stack, globex.id))[0]?.status).toBe('ACTIVE');
    });

    it('unknown ids are NOT_FOUND and invalid ids BAD_USER_INPUT', async () => {
      const rowsBefore = await controlRows(stack);
      expectOnlyError(await stack.query(platformAdmin, suspend, { id: freshTenantId('nobody') }), 'NOT_FOUND');
      expectOnlyError(await stack.query(platformAdmin, resume, { id: freshTenantId('nobody') }), 'NOT_FOUND');
      expectOnlyError(await stack.query(platformAdmin, suspend, { id: '../x' }), 'BAD_USER_INPUT');
      expect(await controlRows(stack)).toEqual(rowsBefore);
    });

    it("a suspended tenant's tokens get FORBIDDEN at the gateway; its data is kept; other tenants are unaffected", async () => {
      const suspended = expectNoErrors(await stack.query<{ suspendTenant: TenantView }>(platformAdmin, suspend, { id: tenant.id }));
      expect(suspended.suspendTenant).toMatchObject({ id: tenant.id, status: 'SUSPENDED' });
      expect((await controlRows(stack, tenant.id))[0]?.status).toBe('SUSPENDED');

      // Refused by the gateway itself (HTTP 403 from its context function), before any subgraph runs.
      for (const role of ['admin', 'viewer'] as const) {
        const res = await stack.query(await tenant.token(role), '{ currentTenant { id } }');
        expectOnlyError(res, 'FORBIDDEN');
        expect(res.status).toBe(403);
      }
      const write = await stack.query(admin, createDataset, { input: { name: 'while-suspended' } });
      expectOnlyError(write, 'FORBIDDEN');
      expect(write.status).toBe(403);
      expect(await datasetsIn(tenant)).toEqual(['before-suspension']);
      expect(await schemaExists(stack, tenant.schema)).toBe(true);
      expect(await stack.platform.runtime.objectStore.bucketExists(tenant.bucket)).toBe(true);

      // The platform admin still sees it, as SUSPENDED.
      const seen = expectNoErrors(await stack.query<{ tenant: TenantView }>(platformAdmin, oneTenant, { id: tenant.id }));
      expect(seen.tenant.status).toBe('SUSPENDED');
      // Suspending again is harmless.
      expect(errorCodes(await stack.query(platformAdmin, suspend, { id: tenant.id }))).toEqual([]);
      // Another tenant keeps working.
      expectNoErrors(await stack.query(await acme.token('viewer'), '{ currentTenant { id } }'));
    });

    it('resuming restores access, with the data from before', async () => {
      const resumed = expectNoErrors(await stack.query<{ resumeTenant: TenantView }>(platformAdmin, resume, { id: tenant.id }));
      expect(resumed.resumeTenant).toMatchObject({ id: tenant.id, status: 'ACTIVE' });
      expect((await controlRows(stack, tenant.id))[0]?.status).toBe('ACTIVE');

      const current = expectNoErrors(await stack.query<{ currentTenant: TenantView }>(admin, '{ currentTenant { id status } }'));
      expect(current.currentTenant).toEqual({ id: tenant.id, status: 'ACTIVE' });
      expectNoErrors(await stack.query(admin, createDataset, { input: { name: 'after-resume' } }));
      expect(await datasetsIn(tenant)).toEqual(['after-resume', 'before-suspension']);
      const listed = expectNoErrors(await stack.query<{ datasets: { edges: Array<{ node: { name: string } }> } }>(admin, '{ datasets { edges { node { name } } } }'));
      expect(listed.datasets.edges.map((e) => e.node.name).sort()).toEqual(['after-resume', 'before-suspension']);
    });
  });
});
