import type { DataSource } from 'typeorm';
import { expectNoErrors, lockTenantTable, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { openServiceDataSource, quoteIdentifier } from '@tessera/tenancy';

/** Four operations (a tenant's default operation slots) of 20 aliased heavy reads each: 80 at once, within the default cost limits. */
const operations = 4;
const fieldsPerOperation = 20;
const floodQuery = `{ ${Array.from({ length: fieldsPerOperation }, (_, i) => `v${i}: verifyAuditChain { valid checkedEvents }`).join(' ')} }`;

/**
 * `verifyAuditChain` and `accessReport` read a tenant's whole trail (every row hashed; aggregations
 * over everything up to `to`), and the fields of one operation resolve in parallel. Tenant A fires
 * 80 verifications at once, within its default operation slots and cost budget; tenant B's audit
 * reads must still be answered while they are in flight. A's verifications are held in flight
 * deterministically by a table lock on A's `audit_checkpoints`, which each reads after chaining the
 * outbox and before the scan (a read waiting for it holds its connection exactly like a read busy
 * hashing a long chain), so nothing here depends on speed.
 */
describe('audit reads: one tenant cannot take the audit service', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  /** The audit account's own connection: it sees that account's statements in the process list. */
  let watcher: DataSource;

  beforeAll(async () => {
    stack = await startTestStack({ alerting: { heavyReads: { perTenant: 1, queueWaitMs: 300, maxQueuedPerTenant: 4 } } });
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    watcher = await openServiceDataSource({ ...stack.platform.runtimes.audit.config.database, poolSize: 1 }, []);
  });
  afterAll(async () => {
    await watcher?.destroy();
    await stack?.stop();
  });

  /** Verifications of the tenant holding a connection of the audit account: reading its checkpoints (waiting for the lock). */
  async function readsHeld(tenant: TestTenant): Promise<number> {
    const rows = (await watcher.query(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ?`, [`SELECT * FROM ${quoteIdentifier(tenant.schema)}.audit_checkpoints ORDER BY seq%`])) as Array<{ n: number | string }>;
    return Number(rows[0]?.n ?? 0);
  }

  async function until(condition: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it("answers B's audit reads while 80 of A's verifications are in flight, and refuses A's extra ones RATE_LIMITED", async () => {
    const [adminA, adminB] = await Promise.all([a.token('admin'), b.token('admin')]);
    // Each tenant has a trail: the dataset creations and the token checks of this test.
    expectNoErrors(await stack.query(adminA, `mutation { createDataset(input: { name: "a-trail" }) { id } }`));
    expectNoErrors(await stack.query(adminB, `mutation { createDataset(input: { name: "b-trail" }) { id } }`));
    await Promise.all([stack.drainAudit(a.id), stack.drainAudit(b.id)]);

    const unlock = await lockTenantTable(stack, a, 'audit_checkpoints');
    let flood: GraphQLResponse[] = [];
    try {
      const fired = Promise.all(Array.from({ length: operations }, () => stack.query(adminA, floodQuery)));
      await until(async () => (await readsHeld(a)) >= 1, "A's reads to reach the database");

      let answeredB: GraphQLResponse<{ auditEvents: { edges: unknown[] }; verifyAuditChain: { valid: boolean } }> | undefined;
      void stack.query<{ auditEvents: { edges: unknown[] }; verifyAuditChain: { valid: boolean } }>(adminB, `{ auditEvents(first: 5) { edges { node { id } } } verifyAuditChain { valid } }`).then((r) => (answeredB = r));
      await until(() => answeredB !== undefined, "B's answer while A's reads hold the lock", 10_000);
      const answer = expectNoErrors(answeredB!);
      expect(answer.auditEvents.edges.length).toBeGreaterThan(0);
      expect(answer.verifyAuditChain.valid).toBe(true);
      // Still locked: of A's reads, only its one turn holds a connection.
      expect(await readsHeld(a)).toBe(1);
      await unlock();
      flood = await fired;
    } finally {
      await unlock();
    }

    const errors = flood.flatMap((r) => r.errors ?? []);
    for (const error of errors) {
      expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'auditHeavyReadsPerTenant', limitValue: 1 });
      expect(error.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
    }
    // One field at a time: every operation had fields beyond the turn and the short queue, refused (the field is non-null, so its operation's data is null).
    expect(flood).toHaveLength(operations);
    for (const response of flood) expect(response.errors?.length ?? 0).toBeGreaterThanOrEqual(1);
    // Nothing of A's is left waiting, and A's next verification runs. An operation is answered as soon
    // as one of its non-null fields fails, while its other fields may still be waiting for their turn
    // (up to the queue's 2 s), so the next one may find the turn taken for that long, no longer.
    await until(async () => (await readsHeld(a)) === 0, "A's reads to end");
    let next: GraphQLResponse<{ verifyAuditChain: { valid: boolean } }> | undefined;
    await until(async () => {
      next = await stack.query<{ verifyAuditChain: { valid: boolean } }>(adminA, '{ verifyAuditChain { valid } }');
      return !next.errors?.some((error) => error.extensions?.['code'] === 'RATE_LIMITED');
    }, "A's turns to be free again");
    expect(expectNoErrors(next!).verifyAuditChain.valid).toBe(true);
  });
});
