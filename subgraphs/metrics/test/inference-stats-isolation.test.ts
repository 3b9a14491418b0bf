import type { DataSource } from 'typeorm';
import { errorCodes, expectNoErrors, lockTenantTable, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { openServiceDataSource, quoteIdentifier } from '@tessera/tenancy';
import { newModel } from '../../models/test/model-flow';

const hour = 3_600_000;
const day = 24 * hour;
/** As many of B's reads in one operation as the gateway allows root fields: more than the models pool (8 in tests). */
const aliases = 20;
/**
 * One version called every minute for 31 days (44 640 rows; four made 178 560, a few seconds of
 * database time per read here): the lock, not the rows, holds B's reads in flight, so the rows only
 * have to give every read something to add up.
 */
const versions = 1;
/**
 * The models side's statement time limit (10 s by default), which the second test sits through: 5 s
 * is still well past how long the first test holds B's reads behind its lock (they must still be
 * waiting, not stopped, when it unlocks; about a second here) and than an unlocked read of these rows takes.
 */
const readSeconds = 5;

type Stats = Record<string, { calls: number }>;

/**
 * `inferenceStats` is answered by the models service's port, on a connection of the models
 * service's pool (the one every tenant's model reads and predictions use), for as long as the
 * database aggregates the range: 31 days per HOUR of a few versions called every minute is
 * hundreds of thousands of rows. Tenant B fires one operation of 20 such fields; tenant A's
 * cheapest model read must still be answered while they are in flight. B's reads are held in
 * flight deterministically by a table lock on B's `inference_stats` (a read waiting for it holds
 * its connection exactly like a read busy aggregating), as metrics-read-isolation.test.ts does.
 */
describe('inferenceStats: one tenant cannot take the models pool', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let modelB: string;
  /** The models account's own connection: it sees that account's statements in the process list. */
  let watcher: DataSource;
  const now = Date.now();
  const range = { from: new Date(now - 31 * day + hour).toISOString(), to: new Date(now).toISOString() };

  beforeAll(async () => {
    stack = await startTestStack({ inference: { inferenceReadSeconds: readSeconds }, monitoring: { anomalies: { intervalMs: 0 }, requestMetrics: { flushIntervalMs: 0 }, reads: { perTenant: 2, queueWaitMs: 300, maxQueuedPerTenant: 4 } } });
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    modelB = await newModel(stack, await b.token('data_scientist'), 'busy');
    // `versions` called every minute for 31 days, written in one statement from sequences.
    const schema = quoteIdentifier(b.schema);
    await stack.adminQuery(
      `INSERT INTO ${schema}.inference_stats (model_version_id, model_id, minute, calls, row_count, errors, batch_size_sum, batch_size_max, latency_ms_sum, latency_ms_max, latency_le_5ms)
       SELECT CONCAT('00000000-0000-4000-8000-00000000000', v.seq), ?, ? + INTERVAL m.seq MINUTE, 2, 2, 0, 2, 1, 6, 4, 2
         FROM ${schema}.seq_0_to_${31 * 1440 - 1} m CROSS JOIN ${schema}.seq_1_to_${versions} v`,
      [modelB, new Date(Math.floor((now - 31 * day) / hour) * hour)],
    );
    watcher = await openServiceDataSource({ ...stack.platform.runtimes.models.config.database, poolSize: 1 }, []);
  });
  afterAll(async () => {
    await watcher?.destroy();
    await stack?.stop();
  });

  /** Statements of the models account on B's inference_stats right now (running or waiting for the lock). */
  async function readsHeld(tenant: TestTenant): Promise<number> {
    const rows = (await watcher.query(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE '%FROM inference_stats%'`, [tenant.schema])) as Array<{ n: number | string }>;
    return Number(rows[0]?.n ?? 0);
  }

  async function until(condition: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  const heavy = `query Heavy($id: ID!, $from: DateTime!, $to: DateTime!) { ${Array.from({ length: aliases }, (_, i) => `s${i}: inferenceStats(modelId: $id, from: $from, to: $to, granularity: HOUR) { calls }`).join(' ')} }`;

  it("answers A's model read while B's 20 heaviest inferenceStats are in flight; B holds at most its share of connections", async () => {
    const tokenB = await b.token('viewer');
    // Unlocked, one field answers every seeded call (the database aggregates all 44 640 rows).
    const one = expectNoErrors(await stack.query<Stats>(tokenB, `query One($id: ID!, $from: DateTime!, $to: DateTime!) { s0: inferenceStats(modelId: $id, from: $from, to: $to, granularity: HOUR) { calls } }`, { id: modelB, ...range }));
    expect(one.s0!.calls).toBeGreaterThan(0);

    const unlock = await lockTenantTable(stack, b, 'inference_stats');
    let answer: GraphQLResponse<Stats> | undefined;
    try {
      const fired = stack.query<Stats>(tokenB, heavy, { id: modelB, ...range });
      await until(async () => (await readsHeld(b)) >= 2, "B's reads to reach the database");
      let answeredA: GraphQLResponse<{ models: { edges: unknown[] } }> | undefined;
      void stack.query<{ models: { edges: unknown[] } }>(await a.token('viewer'), '{ models { edges { node { id } } } }').then((r) => (answeredA = r));
      await until(() => answeredA !== undefined, "A's answer while B's reads hold the lock", 10_000);
      expect(expectNoErrors(answeredA!).models.edges).toEqual([]);
      // Still locked: B's reads that reached the models service's pool are still in flight, no more than its share.
      expect(await readsHeld(b)).toBeLessThanOrEqual(2);
      await unlock();
      answer = await fired;
    } finally {
      await unlock();
    }
    // The fields beyond B's turns were refused RATE_LIMITED (a non-null field's error nulls the operation's data), none failed otherwise.
    const codes = errorCodes(answer!);
    expect(new Set(codes)).toEqual(new Set(['RATE_LIMITED']));
    expect(codes.length).toBeLessThanOrEqual(aliases - 2);
    expect(answer!.errors![0]!.extensions).toMatchObject({ limit: 'metricsReadsPerTenant', limitValue: 2 });
    // Unlocked, B's reads answer again in full once the two that held turns (they keep them until their statements end) are done.
    let again: GraphQLResponse<Stats> | undefined;
    await until(async () => {
      again = await stack.query<Stats>(tokenB, `query One($id: ID!, $from: DateTime!, $to: DateTime!) { s0: inferenceStats(modelId: $id, from: $from, to: $to, granularity: HOUR) { calls } }`, { id: modelB, ...range });
      return !errorCodes(again).includes('RATE_LIMITED');
    }, "B's turns to be free again", 30_000);
    expect(expectNoErrors(again!).s0!.calls).toBe(one.s0!.calls);
  });

  it('stops a read held past the models side\'s time limit with QUERY_TOO_COMPLEX naming the limit, and frees its connection', async () => {
    const unlock = await lockTenantTable(stack, b, 'inference_stats');
    try {
      const startedAt = Date.now();
      const response = await stack.query(await b.token('viewer'), `query One($id: ID!, $from: DateTime!, $to: DateTime!) { inferenceStats(modelId: $id, from: $from, to: $to, granularity: HOUR) { calls } }`, { id: modelB, ...range });
      expect(errorCodes(response)).toEqual(['QUERY_TOO_COMPLEX']);
      expect(response.errors![0]!.extensions).toMatchObject({ limit: 'maxInferenceReadSeconds', limitValue: readSeconds });
      expect(Date.now() - startedAt).toBeLessThan(20_000);
      expect(await readsHeld(b)).toBe(0);
    } finally {
      await unlock();
    }
  }, 60_000);
});
