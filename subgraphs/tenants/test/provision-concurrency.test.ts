import { errorCodes, expectNoErrors, orHung, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
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

/** Four operations (a tenant's default operation slots) of 20 aliased lists each: 80 at once, within the default cost limits. */
const operations = 4;
const fieldsPerOperation = 20;
const floodQuery = `{ ${Array.from({ length: fieldsPerOperation }, (_, i) => `l${i}: serviceAccounts { id apiKeys { id } }`).join(' ')} }`;
const accountsOfA = 10_000;

const rotateMutation = `mutation { rotateTenantKey { currentVersion } }`;
const keysQuery = `query { tenantDataKeys { currentVersion } }`;
const retireMutation = `mutation($version: Int!) { retireTenantKeyVersion(version: $version) { versions { version } } }`;

let stack: TestStack;
/** A pool left deadlocked by the first describe: the stack would never stop, so it is left for jest to report. */
let hung = false;

beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  if (stack && !hung) await stack.stop();
});

describe('tenant operations, more at once than the pool has connections', () => {
  /**
   * One platform admin per provisioning: the gateway runs a caller's operations a few at a time
   * (maxConcurrentOperations), so only several admins (or several gateway replicas) bring this
   * many provisionings to the tenants service at once.
   */
  let admins: string[];
  const provisioned = new Set<string>();
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
    admins = await Promise.all(Array.from({ length: concurrent }, () => stack.issueToken({ roles: ['platform_admin'] })));
  });
  afterAll(async () => {
    // A stack whose pool is deadlocked never stops; leaving it lets jest report the failure.
    if (!stack || hung) return;
    // Three at a time, as the stack erases its own: each erasure holds a connection for its lock and takes another.
    const ids = [...provisioned];
    await Promise.all([0, 1, 2].map((lane) => deprovisionAll(stack, ids.filter((_, index) => index % 3 === lane))));
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

/**
 * `serviceAccounts` and `members` list all of a tenant's rows (nothing caps how many accounts and
 * keys a tenant admin creates: 40 000 rows are minutes of its rate), and the fields of one
 * operation resolve in parallel on the tenants service, which serves every tenant. Tenant A has
 * 10 000 service accounts with a key each (20 000 froze the service before the turns; half is as
 * telling, at half the test's CPU) and fires 80 lists at once; tenant B's list must still be
 * answered within a few of A's lists (not all 80 of them), and A's lists are answered or refused RATE_LIMITED, never an internal error.
 * (On this file's stack: its own tenants, after the tests above.)
 */
describe('access lists: one tenant cannot take the tenants service', () => {
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    const control = `\`${stack.config.database.controlSchema}\``;
    await stack.adminQuery(
      `INSERT INTO ${control}.service_accounts (id, tenant_id, name, role, created_by, created_at)
       SELECT UUID(), ?, CONCAT('bot-', seq), 'viewer', 'test', NOW(3) FROM ${control}.seq_1_to_${accountsOfA}`,
      [a.id],
    );
    await stack.adminQuery(
      `INSERT INTO ${control}.api_keys (id, tenant_id, service_account_id, secret_sha256, role, operations, expires_at, created_by, created_at)
       SELECT SUBSTR(MD5(s.id), 1, 16), s.tenant_id, s.id, REPEAT('0', 64), 'viewer', NULL, NOW(3) + INTERVAL 30 DAY, 'test', NOW(3)
         FROM ${control}.service_accounts s WHERE s.tenant_id = ?`,
      [a.id],
    );
  }, 180_000);

  it("B's list is answered while A's 80 lists of 10 000 accounts are in flight; each of A's is answered whole or refused RATE_LIMITED", async () => {
    const [adminA, adminB] = await Promise.all([a.token('admin'), b.token('admin')]);
    expectNoErrors(await stack.query<{ serviceAccounts: unknown[] }>(adminB, `mutation { createServiceAccount(input: { name: "b-account", role: VIEWER }) { id } }`));

    let flooding = true;
    const flood = Promise.all(Array.from({ length: operations }, () => stack.query<Record<string, Array<{ apiKeys: unknown[] }>>>(adminA, floodQuery))).finally(() => {
      flooding = false;
    });
    // Let A's lists reach the tenants service (with the turns, A's refused fields answer its operations within a second or two).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const latencies: number[] = [];
    for (let i = 0; i < 3 && (i === 0 || flooding); i += 1) {
      const started = Date.now();
      const answer = expectNoErrors(await stack.query<{ serviceAccounts: Array<{ name: string }> }>(adminB, '{ serviceAccounts { name apiKeys { id } } }'));
      latencies.push(Date.now() - started);
      expect(answer.serviceAccounts.map((s) => s.name)).toEqual(['b-account']);
    }
    const answers: Array<GraphQLResponse<Record<string, Array<{ apiKeys: unknown[] }>>>> = await flood;

    expect(latencies.length).toBeGreaterThan(0);
    // A refused field nulls its whole operation (the lists are non-null): what A gets is whole lists or RATE_LIMITED.
    for (const answer of answers) {
      expect(new Set(errorCodes(answer))).toEqual(new Set(answer.errors ? ['RATE_LIMITED'] : []));
      for (const list of Object.values(answer.data ?? {})) expect(list).toHaveLength(accountsOfA);
    }
    // And A's own list, asked alone, is whole once the fields of its answered operations (an
    // operation is answered at its first refused field) have given back their turns.
    let lone = await stack.query<{ serviceAccounts: Array<{ apiKeys: unknown[] }> }>(adminA, '{ serviceAccounts { id apiKeys { id } } }');
    for (let tries = 0; tries < 30 && errorCodes(lone).includes('RATE_LIMITED'); tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      lone = await stack.query<{ serviceAccounts: Array<{ apiKeys: unknown[] }> }>(adminA, '{ serviceAccounts { id apiKeys { id } } }');
    }
    const alone = expectNoErrors(lone);
    expect(alone.serviceAccounts).toHaveLength(accountsOfA);
    expect(alone.serviceAccounts.every((account) => account.apiKeys.length === 1)).toBe(true);

    // How long B waited, measured in A's own lists on this machine now (not in seconds, which a
    // loaded machine stretches): one of A's lists alone, then B's longest wait during the flood. With
    // A's lists taking turns, B waits at most for the one or two of A's running on the shared event
    // loop; without them, for all 80 at once.
    const single = Date.now();
    expectNoErrors(await stack.query<{ serviceAccounts: unknown[] }>(adminA, '{ serviceAccounts { id apiKeys { id } } }'));
    const oneListOfA = Date.now() - single;
    expect(Math.max(...latencies)).toBeLessThan(10 * oneListOfA);
  }, 300_000);
});
