import { expectNoErrors, startTestStack, type TestStack } from '@tessera/testing';
import { deprovisionAll, freshTenantId, provisionMutation, type ProvisionResult } from './support';

/**
 * Provisioning many tenants (or rotating their keys) at once, more than the service's database pool holds connections
 * (the test stack's pool has 8): each provisioning must finish, and the service keep answering,
 * instead of each holding one connection while it waits for another.
 */
const concurrent = 9;

/**
 * A rotation holds its lock for a moment only (one transaction and two wraps), so it takes many
 * more of them at once than the pool has connections before they all hold one together.
 */
const rotations = 24;

const rotateMutation = `mutation { rotateTenantKey { currentVersion } }`;
const keysQuery = `query { tenantDataKeys { currentVersion } }`;
const retireMutation = `mutation($version: Int!) { retireTenantKeyVersion(version: $version) { versions { version } } }`;

/** A hang must fail the test, not the whole run: the outcome, or `hung` once `ms` have passed. */
function orHung<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}

describe('tenant operations, more at once than the pool has connections', () => {
  let stack: TestStack;
  /**
   * One platform admin per provisioning: the gateway runs a caller's operations a few at a time
   * (maxConcurrentOperations), so only several admins (or several gateway replicas) bring this
   * many provisionings to the tenants service at once.
   */
  let admins: string[];
  const provisioned = new Set<string>();
  let hung = false;
  /**
   * Provisioning and erasing a tenant is most of what this file costs, so the key tests reuse
   * tenants: the test stack's that the second test made and found ACTIVE (each still on its first
   * data key, no object under it; provisionTenant's tenants hold objects, which a retirement refuses),
   * topped up with fresh ones to `rotations`; the retirement then needs each with a second key
   * version, which the rotation test leaves them with. Made on first use, so each test also runs alone.
   */
  const activeTenants: string[] = [];
  let keyTenants: Promise<Array<{ token: string }>> | undefined;
  const tenantsWithTokens = () =>
    (keyTenants ??= (async () => {
      const fresh = await Promise.all(Array.from({ length: Math.max(0, rotations - activeTenants.length) }, () => stack.createTenant()));
      const ids = [...activeTenants.slice(0, rotations), ...fresh.map((tenant) => tenant.id)];
      return Promise.all(ids.map(async (id) => ({ token: await stack.issueToken({ tenant: id, roles: ['admin'] }) })));
    })());

  beforeAll(async () => {
    stack = await startTestStack();
    admins = await Promise.all(Array.from({ length: concurrent }, () => stack.issueToken({ roles: ['platform_admin'] })));
  });
  afterAll(async () => {
    // A stack whose pool is deadlocked never stops; leaving it lets jest report the failure.
    if (!stack || hung) return;
    // Three at a time, as the stack erases its own: each erasure holds a connection for its lock and takes another.
    const ids = [...provisioned];
    await Promise.all([0, 1, 2].map((lane) => deprovisionAll(stack, ids.filter((_, index) => index % 3 === lane))));
    await stack.stop();
  });

  it('provisions more tenants at once than the pool has connections, through provisionTenant', async () => {
    const ids = Array.from({ length: concurrent }, () => freshTenantId('many'));
    for (const id of ids) provisioned.add(id);
    const outcome = await orHung(
      Promise.all(ids.map((id, index) => stack.query<ProvisionResult>(admins[index]!, provisionMutation, { input: { id, displayName: `Many ${id}`, region: 'us-east-1' } }))),
      45_000,
    );
    hung = outcome === 'hung';
    expect(outcome).not.toBe('hung');
    if (outcome === 'hung') return;
    for (const [index, result] of outcome.entries()) {
      expectNoErrors(result);
      expect(result.data?.provisionTenant).toMatchObject({ created: true, tenant: { id: ids[index], status: 'ACTIVE' } });
    }
  }, 60_000);

  it('creates more test tenants at once than the pool has connections, through the test stack', async () => {
    const outcome = await orHung(Promise.all(Array.from({ length: concurrent }, () => stack.createTenant())), 45_000);
    hung = hung || outcome === 'hung';
    expect(outcome).not.toBe('hung');
    if (outcome === 'hung') return;
    const rows = (await stack.adminQuery(`SELECT id, status FROM \`${stack.config.database.controlSchema}\`.tenants WHERE id IN (${outcome.map(() => '?').join(',')})`, outcome.map((tenant) => tenant.id))) as Array<{ status: string }>;
    expect(rows.map((row) => row.status)).toEqual(outcome.map(() => 'ACTIVE'));
    activeTenants.push(...outcome.map((tenant) => tenant.id));
  }, 60_000);

  it("rotates as many tenants' data keys at once, each asked by its own admin", async () => {
    const tenants = await tenantsWithTokens();
    const tokens = tenants.map((tenant) => tenant.token);
    const outcome = await orHung(Promise.all(tokens.map((token) => stack.query<{ rotateTenantKey: { currentVersion: number } }>(token, rotateMutation, {}))), 45_000);
    hung = hung || outcome === 'hung';
    expect(outcome).not.toBe('hung');
    if (outcome === 'hung') return;
    expect(outcome.map((result) => expectNoErrors(result).rotateTenantKey.currentVersion)).toEqual(tenants.map(() => 2));
  }, 60_000);

  it("retires as many tenants' old data keys at once, each asked by its own admin", async () => {
    const tenants = await tenantsWithTokens();
    const tokens = tenants.map((tenant) => tenant.token);
    // Each tenant needs a second version to retire its first: the rotation test gave it one, unless it ran alone.
    for (const token of tokens) {
      const keys = expectNoErrors(await stack.query<{ tenantDataKeys: { currentVersion: number } }>(token, keysQuery, {})).tenantDataKeys;
      if (keys.currentVersion === 1) expectNoErrors(await stack.query(token, rotateMutation, {}));
    }
    const outcome = await orHung(Promise.all(tokens.map((token) => stack.query<{ retireTenantKeyVersion: { versions: Array<{ version: number }> } }>(token, retireMutation, { version: 1 }))), 45_000);
    hung = hung || outcome === 'hung';
    expect(outcome).not.toBe('hung');
    if (outcome === 'hung') return;
    expect(outcome.map((result) => expectNoErrors(result).retireTenantKeyVersion.versions.map((key) => key.version))).toEqual(tenants.map(() => [2]));
  }, 90_000);
});
