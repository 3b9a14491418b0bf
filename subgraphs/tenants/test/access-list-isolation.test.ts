import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';

/** Four operations (a tenant's default operation slots) of 20 aliased lists each: 80 at once, within the default cost limits. */
const operations = 4;
const fieldsPerOperation = 20;
const floodQuery = `{ ${Array.from({ length: fieldsPerOperation }, (_, i) => `l${i}: serviceAccounts { id apiKeys { id } }`).join(' ')} }`;
const accountsOfA = 10_000;

/**
 * `serviceAccounts` and `members` list all of a tenant's rows (nothing caps how many accounts and
 * keys a tenant admin creates: 40 000 rows are minutes of its rate), and the fields of one
 * operation resolve in parallel on the tenants service, which serves every tenant. Tenant A has
 * 10 000 service accounts with a key each (20 000 froze the service before the turns; half is as
 * telling, at half the test's CPU) and fires 80 lists at once; tenant B's list must still be
 * answered within a few of A's lists (not all 80 of them), and A's lists are answered or refused RATE_LIMITED, never an internal error.
 */
describe('access lists: one tenant cannot take the tenants service', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    stack = await startTestStack();
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
  afterAll(() => stack?.stop());

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
