import type { DataSource } from 'typeorm';
import { errorCodes, expectNoErrors, lockTenantTable, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { openServiceDataSource, quoteIdentifier } from '@tessera/tenancy';

const hour = 3_600_000;
const day = 24 * hour;
/** More of A's reads at once than the metrics pool (8 connections in tests) holds. */
const heavyReads = 12;

/** The heaviest range `requestMetrics` allows: 62 days per HOUR. */
const heavyQuery = `query Heavy($from: DateTime!, $to: DateTime!) { requestMetrics(from: $from, to: $to, granularity: HOUR) { total { requests } } }`;
const cheapQuery = `query Cheap($from: DateTime!, $to: DateTime!) { requestMetrics(from: $from, to: $to) { total { requests } } }`;

type Totals = { requestMetrics: { total: { requests: number } } };

/**
 * A tenant's heavy metrics reads (long ranges at fine resolution) hold a connection of the
 * metrics service's one pool for as long as the database works on them. Tenant A fires more of
 * the heaviest reads at once than that pool has connections, over a realistic amount of rows;
 * tenant B's cheap read must still be answered while A's are in flight. A's reads are held in
 * flight deterministically by a table lock on A's `request_metrics` (a read waiting for it holds
 * its connection exactly like a read busy aggregating), so nothing here depends on speed.
 */
describe('metrics reads: one tenant cannot take the pool', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  /** The metrics account's own connection: it sees that account's statements in the process list. */
  let watcher: DataSource;
  const seededMinutes = 60 * 1440;
  const seededOperations = 2;
  const now = Date.now();
  const heavyRange = { from: new Date(now - 62 * day).toISOString(), to: new Date(now).toISOString() };
  /** The first seeded minute (an hour's start); the rows run from there for 60 days. */
  const first = Math.floor((now - 61 * day) / hour) * hour;

  beforeAll(async () => {
    stack = await startTestStack({
      monitoring: { anomalies: { intervalMs: 0 }, requestMetrics: { flushIntervalMs: 0 }, reads: { perTenant: 2, queueWaitMs: 300, maxQueuedPerTenant: 4, maxReadSeconds: 8 } },
    });
    [a, b] = await Promise.all([stack.createTenant({ limits: { maxConcurrentOperations: heavyReads } }), stack.createTenant()]);
    // Two operations every minute for 60 days: 172 800 rows, written in one statement from a sequence.
    await stack.adminQuery(
      `INSERT INTO ${quoteIdentifier(a.schema)}.request_metrics (bucket_start, op_type, op_name, requests, errors, latency_ms_sum, latency_ms_max, lat_5_10, lat_25_50)
       SELECT ? + INTERVAL m.seq MINUTE, 'query', CONCAT('Op', o.seq), 3, 1, 60, 40, 2, 1 FROM ${quoteIdentifier(a.schema)}.seq_0_to_${seededMinutes - 1} m CROSS JOIN ${quoteIdentifier(a.schema)}.seq_1_to_${seededOperations} o`,
      [new Date(first)],
    );
    watcher = await openServiceDataSource({ ...stack.platform.runtimes.metrics.config.database, poolSize: 1 }, []);
  });
  afterAll(async () => {
    await watcher?.destroy();
    await stack?.stop();
  });

  /** Statements of the metrics account on the tenant's request_metrics right now (running or waiting for the lock). */
  async function readsHeld(tenant: TestTenant): Promise<number> {
    const rows = (await watcher.query(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE '%FROM request_metrics%'`, [tenant.schema])) as Array<{ n: number | string }>;
    return Number(rows[0]?.n ?? 0);
  }

  async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it("answers B's cheap read while A's heaviest reads are in flight, and refuses A's extra ones RATE_LIMITED", async () => {
    const unlock = await lockTenantTable(stack, a, 'request_metrics');
    let heavy: Array<GraphQLResponse<Totals>> = [];
    try {
      const tokenA = await a.token('viewer');
      const fired = Promise.all(Array.from({ length: heavyReads }, () => stack.query<Totals>(tokenA, heavyQuery, heavyRange)));
      await until(async () => (await readsHeld(a)) >= 2, "A's reads to reach the database");

      let answeredB: GraphQLResponse<Totals> | undefined;
      void stack.query<Totals>(await b.token('viewer'), cheapQuery, { from: new Date(Date.now() - hour).toISOString(), to: new Date().toISOString() }).then((r) => (answeredB = r));
      await until(() => answeredB !== undefined, "B's answer while A's reads hold the lock");
      expect(expectNoErrors(answeredB!).requestMetrics.total.requests).toBe(0);
      // Still locked: A's reads that got a connection are all still in flight, and they are 2 (perTenant).
      expect(await readsHeld(a)).toBe(2);
      await unlock();
      heavy = await fired;
    } finally {
      await unlock();
    }

    const answered = heavy.filter((r) => !r.errors);
    const refused = heavy.filter((r) => r.errors);
    for (const r of answered) expect(r.data!.requestMetrics.total.requests).toBe(3 * seededMinutes * seededOperations);
    for (const r of refused) {
      expect(r.errors).toHaveLength(1);
      expect(r.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'metricsReadsPerTenant', limitValue: 2 });
      expect(r.errors![0]!.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
    }
    expect(answered.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThanOrEqual(1);
  });

  it('stops a read that runs past maxReadSeconds with QUERY_TOO_COMPLEX naming the limit, not an internal error', async () => {
    const unlock = await lockTenantTable(stack, a, 'request_metrics');
    try {
      const response = await stack.query(await a.token('viewer'), cheapQuery, { from: new Date(now - hour).toISOString(), to: new Date(now).toISOString() });
      expect(errorCodes(response)).toEqual(['QUERY_TOO_COMPLEX']);
      expect(response.errors![0]!.extensions).toMatchObject({ limit: 'maxMetricsReadSeconds', limitValue: 8 });
      // The connection it held is free again: nothing of A's is left on the request_metrics lock.
      expect(await readsHeld(a)).toBe(0);
    } finally {
      await unlock();
    }
    // Unlocked, a read answers: the seeded first hour, 60 minutes × 2 operations × 3 requests.
    const answer = expectNoErrors(await stack.query<Totals>(await a.token('viewer'), cheapQuery, { from: new Date(first).toISOString(), to: new Date(first + hour - 1).toISOString() }));
    expect(answer.requestMetrics.total.requests).toBe(360);
  });
});
