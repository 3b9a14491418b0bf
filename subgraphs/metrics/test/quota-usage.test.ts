import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

const usageQuery = '{ tenantUsage { datasets storedBytes quotas { name limit used reserved } } }';
const setLimits = 'mutation($id: ID!, $limits: TenantLimitsInput!) { setTenantLimits(id: $id, limits: $limits) { limits { maxDatasets maxDatasetVersions maxModels maxModelVersions maxStorageBytes } } }';

interface QuotaRow {
  name: string;
  limit: number;
  used: number;
  reserved: number;
}

async function usageOf(stack: TestStack, token: string) {
  return expectNoErrors(await stack.query<{ tenantUsage: { datasets: number; storedBytes: number; quotas: QuotaRow[] } }>(token, usageQuery)).tenantUsage;
}

/** tenantUsage shows every quota beside its limit, from the numbers the quotas enforce, for the caller's tenant only. */
describe('metrics: tenantUsage quotas', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let platformAdmin: string;

  beforeAll(async () => {
    stack = await startTestStack();
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant({ limits: { maxDatasets: 2, maxStorageBytes: 5_000 } })]);
    platformAdmin = await stack.platformAdminToken();
  });
  afterAll(() => stack?.stop());

  it('every quota with its limit (defaults or the tenant override), used and reserved, for any role', async () => {
    for (const role of ['viewer', 'data_scientist', 'admin'] as const) {
      const usage = await usageOf(stack, await b.token(role));
      expect(usage.quotas).toEqual([
        { name: 'datasetVersions', limit: 10_000, used: 0, reserved: 0 },
        { name: 'datasets', limit: 2, used: 0, reserved: 0 },
        { name: 'modelVersions', limit: 10_000, used: 0, reserved: 0 },
        { name: 'models', limit: 1_000, used: 0, reserved: 0 },
        { name: 'storageBytes', limit: 5_000, used: 0, reserved: 0 },
      ]);
    }
    expect(errorCodes(await stack.query(platformAdmin, usageQuery))).toEqual(['FORBIDDEN']);
  });

  it('tenant B filling its quota never affects tenant A, and each sees only its own usage', async () => {
    const [tokenA, tokenB] = await Promise.all([a.token('data_scientist'), b.token('data_scientist')]);
    for (const name of ['b1', 'b2']) expectNoErrors(await stack.query(tokenB, 'mutation($n: String!) { createDataset(input: { name: $n }) { id } }', { n: name }));
    const refused = await stack.query(tokenB, 'mutation { createDataset(input: { name: "b3" }) { id } }');
    expect(errorCodes(refused)).toEqual(['QUOTA_EXCEEDED']);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ quota: 'datasets', limit: 2, used: 2 });
    // B holds a pending upload reservation too: A sees none of it.
    const firstB = expectNoErrors(await stack.query<{ datasets: { edges: Array<{ node: { id: string } }> } }>(tokenB, '{ datasets { edges { node { id } } } }')).datasets.edges[0]!.node.id;
    expectNoErrors(await stack.query(tokenB, 'mutation($d: ID!) { createDatasetUpload(input: { datasetId: $d, filename: "p.csv", byteSize: 100 }) { id } }', { d: firstB }));

    const usageB = await usageOf(stack, tokenB);
    expect(usageB.quotas.find((q) => q.name === 'datasets')).toEqual({ name: 'datasets', limit: 2, used: 2, reserved: 0 });
    expect(usageB.quotas.find((q) => q.name === 'storageBytes')!.reserved).toBeGreaterThan(100);
    const usageA = await usageOf(stack, tokenA);
    expect(usageA.datasets).toBe(0);
    for (const quota of usageA.quotas) expect(quota).toMatchObject({ used: 0, reserved: 0 });
    expectNoErrors(await stack.query(tokenA, 'mutation { createDataset(input: { name: "a1" }) { id } }'));
    expect((await usageOf(stack, tokenA)).quotas.find((q) => q.name === 'datasets')).toMatchObject({ used: 1, limit: 1_000 });
    expect((await usageOf(stack, tokenB)).quotas.find((q) => q.name === 'datasets')).toMatchObject({ used: 2, limit: 2 });
    // There is no argument to name another tenant: the tenant comes from the token.
    expect(errorCodes(await stack.query(tokenB, `{ tenantUsage(tenantId: "${a.id}") { datasets } }`))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('quota limits are tenant limits: set by the platform admin, typed errors for bad values, and a lowered limit refuses the next write', async () => {
    const changed = expectNoErrors(await stack.query<{ setTenantLimits: { limits: Record<string, number> } }>(platformAdmin, setLimits, { id: a.id, limits: { maxDatasets: 1, maxModelVersions: 7 } }));
    expect(changed.setTenantLimits.limits).toMatchObject({ maxDatasets: 1, maxModelVersions: 7, maxModels: 1_000, maxDatasetVersions: 10_000 });
    for (const [limits, field] of [
      [{ maxDatasets: 0 }, 'limits.maxDatasets'],
      [{ maxModels: -3 }, 'limits.maxModels'],
    ] as const) {
      const response = await stack.query(platformAdmin, setLimits, { id: a.id, limits });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.extensions).toMatchObject({ field });
    }
    // Not integers at all: GraphQL's Int refuses them before the service sees them, naming the field.
    for (const limits of [{ maxDatasetVersions: 1.5 }, { maxModelVersions: 1e300 }]) {
      const response = await stack.query(platformAdmin, setLimits, { id: a.id, limits });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.message).toContain(Object.keys(limits)[0]);
    }
    const tokenA = await a.token('data_scientist');
    const refused = await stack.query(tokenA, 'mutation { createDataset(input: { name: "a2" }) { id } }');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', quota: 'datasets', limit: 1, used: 1 });
    expect((await usageOf(stack, tokenA)).quotas.find((q) => q.name === 'modelVersions')).toMatchObject({ limit: 7, used: 0 });
    // Lowered below what the tenant holds: usage shows it over, nothing is deleted, writes are refused.
    expectNoErrors(await stack.query(platformAdmin, setLimits, { id: b.id, limits: { maxDatasets: 1 } }));
    expect((await usageOf(stack, await b.token('viewer'))).quotas.find((q) => q.name === 'datasets')).toEqual({ name: 'datasets', limit: 1, used: 2, reserved: 0 });
  });
});
