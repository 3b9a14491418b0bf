import { randomUUID } from 'node:crypto';
import { ConfigError, parseEnvironment } from '@tessera/config';
import { retentionVariables } from '@tessera/tenancy';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { maxRangeMs } from '../src/domain/metric-range';
import { metricsRetention } from '../src/server';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

/**
 * The metrics service's sweep of its per-minute series (request_metrics, request_metric_errors),
 * run with the metrics service's own database account, pass by pass (no timer): rows older than
 * the retention go, the boundary minute and everything newer stay, for every tenant; one tenant's
 * backlog takes several passes and never keeps another's from being swept; other tables are not
 * touched; a reader of the longest range still sees all of it.
 */
describe('metrics: retention of per-minute series', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    // No detection passes and no periodic flushes of the gateway's counters: the tables hold only what the tests seed.
    stack = await startTestStack({ monitoring: { anomalies: { intervalMs: 0 }, requestMetrics: { flushIntervalMs: 0 } } });
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
  });
  afterAll(() => stack?.stop());

  const seed = async (tenant: TestTenant, bucketStarts: number[], name = 'Seeded') => {
    for (const at of bucketStarts) {
      await stack.adminQuery(
        `INSERT INTO \`${tenant.schema}\`.request_metrics (bucket_start, op_type, op_name, requests, errors, latency_ms_sum, latency_ms_max, lat_0_5) VALUES (?, 'QUERY', ?, 2, 1, 4, 3, 2)`,
        [new Date(at), name],
      );
      await stack.adminQuery(`INSERT INTO \`${tenant.schema}\`.request_metric_errors (bucket_start, op_type, op_name, code, requests) VALUES (?, 'QUERY', ?, 'BAD_USER_INPUT', 1)`, [new Date(at), name]);
    }
  };
  const buckets = async (tenant: TestTenant, table: 'request_metrics' | 'request_metric_errors') =>
    ((await stack.adminQuery(`SELECT bucket_start FROM \`${tenant.schema}\`.${table} ORDER BY bucket_start`)) as Array<{ bucket_start: Date }>).map((row) => new Date(row.bucket_start).getTime());
  const clear = async (tenant: TestTenant) => {
    for (const table of ['request_metrics', 'request_metric_errors', 'usage_meters', 'anomalies']) await stack.adminQuery(`DELETE FROM \`${tenant.schema}\`.${table}`);
  };
  const sweepOf = (options: Parameters<typeof metricsRetention>[1] = {}) => metricsRetention(stack.platform.runtimes.metrics, { intervalMs: 0, ...options });

  it('deletes the rows of every tenant older than the retention, to the millisecond, and keeps the rest and other tables', async () => {
    await Promise.all([clear(a), clear(b)]);
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const cutoff = now - 400 * day;
    const old = [cutoff - 30 * day, cutoff - minute, cutoff - 1];
    const kept = [cutoff, cutoff + minute, now - 366 * day, now - hour];
    await seed(a, [...old, ...kept]);
    await seed(b, [old[0]!, kept[0]!, kept[3]!]);
    // Other tables of the metrics service with rows just as old: not series, not swept.
    await stack.adminQuery(`INSERT INTO \`${a.schema}\`.usage_meters (hour, meter, amount) VALUES (?, 'requests', 5)`, [new Date(cutoff - 30 * day)]);
    await stack.adminQuery(
      `INSERT INTO \`${a.schema}\`.anomalies (id, metric, window_start, window_end, observed, expected, deviation, score, threshold, summary, detected_at) VALUES (?, 'REQUEST_RATE', ?, ?, 9, 1, 1, 8, 4, 'old', ?)`,
      [randomUUID(), new Date(cutoff - 30 * day), new Date(cutoff - 30 * day + minute), new Date(cutoff - 30 * day)],
    );

    const sweep = sweepOf();
    expect(sweep.cutoff(new Date(now)).getTime()).toBe(cutoff);
    const pass = await sweep.sweep(new Date(now));
    expect(pass.deleted.get(a.id)).toBe(2 * old.length);
    expect(pass.deleted.get(b.id)).toBe(2);
    expect(pass.unfinished.size).toBe(0);
    for (const table of ['request_metrics', 'request_metric_errors'] as const) {
      expect(await buckets(a, table)).toEqual(kept);
      expect(await buckets(b, table)).toEqual([kept[0], kept[3]]);
    }
    const [meters] = (await stack.adminQuery(`SELECT COUNT(*) AS n FROM \`${a.schema}\`.usage_meters`)) as Array<{ n: number | string | bigint }>;
    const [anomalies] = (await stack.adminQuery(`SELECT COUNT(*) AS n FROM \`${a.schema}\`.anomalies`)) as Array<{ n: number | string | bigint }>;
    expect([Number(meters!.n), Number(anomalies!.n)]).toEqual([1, 1]);

    // A second pass finds nothing to do.
    expect((await sweep.sweep(new Date(now))).deleted.size).toBe(0);
  });

  it("one tenant's sweep never reaches another tenant's rows", async () => {
    await Promise.all([clear(a), clear(b)]);
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const cutoff = now - 400 * day;
    await seed(a, [cutoff - day]);
    await seed(b, [cutoff - day]);
    const sweep = sweepOf();
    expect(await sweep.sweepTenant(b.id, new Date(cutoff))).toEqual({ deleted: 2, finished: true });
    expect(await buckets(b, 'request_metrics')).toEqual([]);
    expect(await buckets(a, 'request_metrics')).toEqual([cutoff - day]);
    expect(await buckets(a, 'request_metric_errors')).toEqual([cutoff - day]);
  });

  it("bounds each tenant's work per pass: a large backlog takes several passes, and the other tenant is swept in the first", async () => {
    await Promise.all([clear(a), clear(b)]);
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const cutoff = now - 400 * day;
    const backlog = Array.from({ length: 10 }, (_, i) => cutoff - (i + 1) * minute);
    await seed(a, [...backlog, cutoff]);
    await seed(b, [cutoff - minute, cutoff - 2 * minute, cutoff]);
    // 3 rows per DELETE, 2 DELETEs per tenant and pass.
    const sweep = sweepOf({ batchRows: 3, batchesPerTenant: 2 });
    const first = await sweep.sweep(new Date(now));
    expect(first.deleted.get(a.id)).toBe(6);
    expect([...first.unfinished]).toEqual([a.id]);
    // B's two old minutes, in both tables, within its own budget.
    expect(first.deleted.get(b.id)).toBe(4);
    expect(await buckets(b, 'request_metrics')).toEqual([cutoff]);
    expect(await buckets(a, 'request_metrics')).toHaveLength(5);

    const second = await sweep.sweep(new Date(now));
    // 3 + 1 of request_metrics: that table is done; the errors' turn comes with the next pass's budget.
    expect(second.deleted.get(a.id)).toBe(4);
    expect([...second.unfinished]).toEqual([a.id]);
    const third = await sweep.sweep(new Date(now));
    expect(third.deleted.get(a.id)).toBe(6);
    const fourth = await sweep.sweep(new Date(now));
    expect(fourth.deleted.get(a.id)).toBe(4);
    expect(fourth.unfinished.size).toBe(0);
    for (const table of ['request_metrics', 'request_metric_errors'] as const) expect(await buckets(a, table)).toEqual([cutoff]);
  });

  it('stops cleanly: a closed sweep deletes nothing more', async () => {
    await Promise.all([clear(a), clear(b)]);
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    await seed(a, [now - 500 * day]);
    const sweep = sweepOf({ intervalMs: 60_000 });
    sweep.start();
    await sweep.stop();
    expect((await sweep.sweep(new Date(now))).deleted.size).toBe(0);
    expect(await buckets(a, 'request_metrics')).toEqual([now - 500 * day]);
  });

  it('refuses a retention shorter than the longest readable range, and every read range is within it', () => {
    for (const days of [365, 0, -1, 1.5]) expect(() => sweepOf({ days })).toThrow(ConfigError);
    expect(() => sweepOf({ days: 365 })).toThrow(/METRICS|retention days: must be at least 366/);
    expect(() => sweepOf({ days: 366 })).not.toThrow();
    // The variable, as the service reads it at start-up: refused with its name, or 400 days when unset.
    expect(() => parseEnvironment(retentionVariables, { METRICS_RETENTION_DAYS: '90' })).toThrow(/METRICS_RETENTION_DAYS.*at least 366/);
    expect(() => parseEnvironment(retentionVariables, { METRICS_RETENTION_DAYS: 'a year' })).toThrow(/METRICS_RETENTION_DAYS/);
    expect(parseEnvironment(retentionVariables, {}).METRICS_RETENTION_DAYS).toBe(400);
    expect(parseEnvironment(retentionVariables, { METRICS_RETENTION_DAYS: '731' }).METRICS_RETENTION_DAYS).toBe(731);
    // The per-minute series are read over at most 62 days (requestMetrics per HOUR): well inside.
    expect(Math.max(maxRangeMs.MINUTE, maxRangeMs.HOUR)).toBeLessThanOrEqual(366 * day);
  });

  it('a reader of the longest range still sees every row it may ask for after a sweep at the shortest retention', async () => {
    await Promise.all([clear(a), clear(b)]);
    const now = Date.now();
    const hourStart = (ms: number) => Math.floor(ms / hour) * hour;
    const from = now - 366 * day;
    // Whole hours inside [from, from + 62 days] (the longest HOUR range), and one hour just before `from`.
    const inside = [hourStart(from) + hour, hourStart(from) + 30 * day, hourStart(from) + 61 * day];
    await seed(a, [hourStart(from) - hour, ...inside]);
    const pass = await sweepOf({ days: 366 }).sweep(new Date(now));
    expect(pass.deleted.get(a.id)).toBe(2);
    const query = `query($from: DateTime!, $to: DateTime!) { requestMetrics(from: $from, to: $to, granularity: HOUR) { total { requests errors } } }`;
    const to = from + maxRangeMs.HOUR;
    const answer = expectNoErrors(await stack.query<{ requestMetrics: { total: { requests: number; errors: number } } }>(await a.token('viewer'), query, { from: new Date(from).toISOString(), to: new Date(to).toISOString() }));
    expect(answer.requestMetrics.total).toEqual({ requests: 2 * inside.length, errors: inside.length });
  });
});
