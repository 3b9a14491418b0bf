import type { DataSource } from 'typeorm';
import { errorCodes, expectNoErrors, lockTenantTable, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { openServiceDataSource } from '@tessera/tenancy';

const day = 24 * 3_600_000;
/** As many root fields as the gateway allows in one operation: more than the jobs pool (8 connections in tests). */
const aliases = 20;

/**
 * `tenantUsage` and `trainingMetrics` are answered by the jobs service's port, on connections of
 * the jobs service's pool, which every tenant's job reads, submits and workers' port calls use.
 * A job history is never purged: with a million jobs (one every 30 s for a year) one
 * `tenantUsage` took 0.4-1.2 s (`SELECT COUNT(*) FROM jobs`) and one operation of 20 aliased
 * ones held the pool for 7.8 s, while another tenant's one-job list took 6.7 s instead of 27 ms;
 * `trainingMetrics` over 366 days reads and sorts the same history. Here B's reads are held in
 * flight deterministically by a table lock on B's `jobs` (a read waiting for it holds its
 * connection exactly like a read busy counting), and tenant A's job list must still answer.
 */
describe('metrics reads through the jobs port: one tenant cannot take the jobs pool', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  /** The jobs account's own connection: it sees that account's statements in the process list. */
  let watcher: DataSource;
  const range = { from: new Date(Date.now() - 366 * day + 60_000).toISOString(), to: new Date().toISOString() };

  beforeAll(async () => {
    stack = await startTestStack({ monitoring: { anomalies: { intervalMs: 0 }, requestMetrics: { flushIntervalMs: 0 }, reads: { perTenant: 2, queueWaitMs: 300, maxQueuedPerTenant: 4 } } });
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant({ limits: { costBurst: 60_000 } })]);
    watcher = await openServiceDataSource({ ...stack.platform.runtimes.jobs.config.database, poolSize: 1 }, []);
  });
  afterAll(async () => {
    await watcher?.destroy();
    await stack?.stop();
  });

  /**
   * Statements of the jobs account on the tenant's jobs table right now (running or waiting for the
   * lock) that a metrics read sent: counts. The jobs service's own run reconciler also reads the
   * table (`SELECT id FROM jobs …`) on its timer and would wait on the same lock.
   */
  async function readsHeld(tenant: TestTenant): Promise<number> {
    const rows = (await watcher.query(
      `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND (INFO LIKE '%FROM jobs%' OR INFO LIKE '%.jobs %') AND INFO LIKE '%COUNT(%'`,
      [tenant.schema],
    )) as Array<{ n: number | string }>;
    return Number(rows[0]?.n ?? 0);
  }

  async function until(condition: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  const usage = `{ ${Array.from({ length: aliases }, (_, i) => `u${i}: tenantUsage { jobs }`).join(' ')} }`;
  const training = `query T($from: DateTime!, $to: DateTime!) { ${Array.from({ length: aliases }, (_, i) => `t${i}: trainingMetrics(from: $from, to: $to) { jobs }`).join(' ')} }`;

  it("answers A's job list while B's 20 aliased tenantUsage and 20 trainingMetrics wait on B's jobs", async () => {
    const tokenB = await b.token('viewer');
    const unlock = await lockTenantTable(stack, b, 'jobs');
    let usageAnswer: GraphQLResponse<Record<string, { jobs: number }>> | undefined;
    let trainingAnswer: GraphQLResponse<Record<string, { jobs: number }>> | undefined;
    try {
      const firedUsage = stack.query<Record<string, { jobs: number }>>(tokenB, usage);
      const firedTraining = stack.query<Record<string, { jobs: number }>>(tokenB, training, range);
      await until(async () => (await readsHeld(b)) >= 3, "B's reads to reach the database");
      let answeredA: GraphQLResponse<{ jobs: { edges: unknown[] } }> | undefined;
      void stack.query<{ jobs: { edges: unknown[] } }>(await a.token('viewer'), '{ jobs(first: 1) { edges { node { id } } } }').then((r) => (answeredA = r));
      await until(() => answeredA !== undefined, "A's answer while B's reads hold the lock", 10_000);
      expect(expectNoErrors(answeredA!).jobs.edges).toEqual([]);
      // Still locked: one operation's aliased tenantUsage is counted once (its two job counts), trainingMetrics takes B's 2 turns.
      expect(await readsHeld(b)).toBeLessThanOrEqual(4);
      await unlock();
      [usageAnswer, trainingAnswer] = await Promise.all([firedUsage, firedTraining]);
    } finally {
      await unlock();
    }
    // Every alias of tenantUsage answers the same numbers; the training fields beyond B's turns were refused RATE_LIMITED.
    const usages = Object.values(expectNoErrors(usageAnswer!));
    expect(usages).toHaveLength(aliases);
    expect(new Set(usages.map((u) => u.jobs))).toEqual(new Set([0]));
    expect(new Set(errorCodes(trainingAnswer!))).toEqual(new Set(['RATE_LIMITED']));
    expect(trainingAnswer!.errors![0]!.extensions).toMatchObject({ limit: 'metricsReadsPerTenant', limitValue: 2 });
  });

  it("B's concurrent tenantUsage requests hold one count of B's jobs at a time (the others join the next one)", async () => {
    const tokenB = await b.token('viewer');
    const unlock = await lockTenantTable(stack, b, 'jobs');
    let answers: Array<GraphQLResponse<{ tenantUsage: { jobs: number } }>> = [];
    try {
      // As many operations at once as B's maxConcurrentOperations (4) lets run.
      const fired = Promise.all(Array.from({ length: 4 }, () => stack.query<{ tenantUsage: { jobs: number } }>(tokenB, '{ tenantUsage { jobs } }')));
      await until(async () => (await readsHeld(b)) >= 2, "B's first count to reach the database");
      await new Promise((resolve) => setTimeout(resolve, 500));
      // One count running (its two job statements); the other requests wait for the next one, which has not started.
      expect(await readsHeld(b)).toBe(2);
      await unlock();
      answers = await fired;
    } finally {
      await unlock();
    }
    for (const answer of answers) expect(expectNoErrors(answer).tenantUsage.jobs).toBe(0);
  });
});
