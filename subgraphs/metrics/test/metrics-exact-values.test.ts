import { randomUUID } from 'node:crypto';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { newModel } from '../../models/test/model-flow';

/**
 * The metrics queries' numbers against rows seeded with values chosen here, each expected value
 * worked out by hand in the comments: counts, rates, means, percentiles (nearest rank for training
 * run times, the histogram estimate for request latency), range edges, time zones, empty ranges,
 * one element and ties. Tenant B asking the same ranges sees none of A's numbers.
 */
describe('metrics: exact values', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  const iso = (ms: number) => new Date(ms).toISOString();
  const hour = 3_600_000;
  const day = 24 * hour;

  beforeAll(async () => {
    stack = await startTestStack({ monitoring: { anomalies: { intervalMs: 0 } } });
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
  });
  afterAll(() => stack?.stop());

  describe('trainingMetrics', () => {
    const D = Date.UTC(2026, 2, 10); // 2026-03-10T00:00:00Z
    const period = { from: iso(D), to: iso(D + 6 * hour) };
    const query = `query($from: DateTime!, $to: DateTime!) { trainingMetrics(from: $from, to: $to) {
      from to jobs succeeded failed cancelled active successRate meanDurationMs durationP50Ms durationP95Ms } }`;
    const ask = async (tenant: TestTenant, range: { from: string; to: string }) =>
      expectNoErrors(await stack.query<{ trainingMetrics: Record<string, unknown> }>(await tenant.token('viewer'), query, range)).trainingMetrics;

    /** A job created at `createdAt`; `run` = [started, finished] offsets from creation (ms), or null. */
    const insert = (kind: string, status: string, createdAt: number, run: { startedAfter: number; finishedAfter: number | null } | null) =>
      stack.adminQuery(
        `INSERT INTO \`${a.schema}\`.jobs (id, kind, status, input_json, progress, attempts, created_by, created_at, updated_at, started_at, finished_at)
         VALUES (?, ?, ?, '{}', 0, 1, 'seed', ?, ?, ?, ?)`,
        [
          randomUUID(),
          kind,
          status,
          new Date(createdAt),
          new Date(createdAt + (run?.finishedAfter ?? run?.startedAfter ?? 0)),
          run ? new Date(createdAt + run.startedAfter) : null,
          run && run.finishedAfter !== null ? new Date(createdAt + run.finishedAfter) : null,
        ],
      );

    beforeAll(async () => {
      // In [D, D+6h]:
      await insert('TRAIN', 'SUCCEEDED', D, { startedAfter: 500, finishedAfter: 4500 }); // exactly at `from`: 4 000 ms
      await insert('TRAIN', 'SUCCEEDED', D + hour, { startedAfter: 0, finishedAfter: 1000 }); // 1 000 ms
      await insert('TRAIN', 'SUCCEEDED', D + hour, { startedAfter: 250, finishedAfter: 1250 }); // 1 000 ms (a tie)
      await insert('TRAIN', 'SUCCEEDED', D + 2 * hour, { startedAfter: 10, finishedAfter: 2510 }); // 2 500 ms
      // Created in the range, started 3h+1s after D, finished two days after D, long after `to`: 2d − 3h − 1s.
      await insert('TRAIN', 'SUCCEEDED', D + 3 * hour, { startedAfter: 1000, finishedAfter: 2 * day - 3 * hour });
      await insert('TRAIN', 'RUNNING', D + 4 * hour, { startedAfter: 100, finishedAfter: null });
      await insert('TRAIN', 'QUEUED', D + 4 * hour, null);
      await insert('TRAIN', 'CANCELLED', D + 5 * hour, { startedAfter: 100, finishedAfter: 200 });
      await insert('TRAIN', 'FAILED', D + 6 * hour, { startedAfter: 100, finishedAfter: 900 }); // exactly at `to`
      // Outside: a millisecond before `from` and after `to`, and other kinds inside.
      await insert('TRAIN', 'SUCCEEDED', D - 1, { startedAfter: 0, finishedAfter: 7 });
      await insert('TRAIN', 'FAILED', D + 6 * hour + 1, { startedAfter: 0, finishedAfter: 7 });
      await insert('BATCH_INFERENCE', 'SUCCEEDED', D + hour, { startedAfter: 0, finishedAfter: 99_000 });
      await insert('PROFILE', 'FAILED', D + hour, { startedAfter: 0, finishedAfter: 99_000 });
    });

    it('counts every TRAIN job created in [from, to], edges included, and computes rate, mean and nearest-rank percentiles of the succeeded ones', async () => {
      const long = 2 * day - 3 * hour - 1000; // 161 999 000 ms
      // Durations sorted: 1000, 1000, 2500, 4000, 161 999 000 (n = 5).
      // mean = 162 007 500 / 5 = 32 401 500; p50: rank ⌈2.5⌉ = 3 → 2500; p95: rank ⌈4.75⌉ = 5 → the long one.
      expect(await ask(a, period)).toEqual({
        ...period,
        from: iso(D),
        to: iso(D + 6 * hour),
        jobs: 9,
        succeeded: 5,
        failed: 1,
        cancelled: 1,
        active: 2,
        successRate: 5 / 6,
        meanDurationMs: 32_401_500,
        durationP50Ms: 2500,
        durationP95Ms: long,
      });
    });

    it('reads offsets as the instants they name: the same range written in two other time zones gives the same numbers', async () => {
      const shifted = await ask(a, { from: '2026-03-10T05:30:00+05:30', to: '2026-03-10T01:00:00-05:00' });
      expect(shifted).toEqual(await ask(a, period));
      expect([shifted['from'], shifted['to']]).toEqual([iso(D), iso(D + 6 * hour)]);
    });

    it('one job, ties, only failures, only unfinished jobs, nothing', async () => {
      // [D+2h, D+2h]: the single 2 500 ms job is its own mean, p50 and p95.
      expect(await ask(a, { from: iso(D + 2 * hour), to: iso(D + 2 * hour) })).toMatchObject({ jobs: 1, succeeded: 1, successRate: 1, meanDurationMs: 2500, durationP50Ms: 2500, durationP95Ms: 2500 });
      // [D+1h, D+1h]: two TRAIN jobs of 1 000 ms each (the other kinds at that instant do not count).
      expect(await ask(a, { from: iso(D + hour), to: iso(D + hour) })).toMatchObject({ jobs: 2, succeeded: 2, failed: 0, meanDurationMs: 1000, durationP50Ms: 1000, durationP95Ms: 1000 });
      // [to, to]: one failure and no success: a rate of 0, no run time.
      expect(await ask(a, { from: period.to, to: period.to })).toMatchObject({ jobs: 1, failed: 1, successRate: 0, meanDurationMs: null, durationP50Ms: null, durationP95Ms: null });
      // [D+4h, D+5h]: running, queued, cancelled — nothing finished that counts: no rate.
      expect(await ask(a, { from: iso(D + 4 * hour), to: iso(D + 5 * hour) })).toEqual({
        from: iso(D + 4 * hour),
        to: iso(D + 5 * hour),
        jobs: 3,
        succeeded: 0,
        failed: 0,
        cancelled: 1,
        active: 2,
        successRate: null,
        meanDurationMs: null,
        durationP50Ms: null,
        durationP95Ms: null,
      });
      expect(await ask(a, { from: iso(D + 7 * day), to: iso(D + 8 * day) })).toMatchObject({ jobs: 0, succeeded: 0, failed: 0, cancelled: 0, active: 0, successRate: null, meanDurationMs: null });
    });

    it('tenant B asking the same ranges sees none of it', async () => {
      for (const range of [period, { from: iso(D - day), to: iso(D + 300 * day) }]) {
        expect(await ask(b, range)).toMatchObject({ jobs: 0, succeeded: 0, failed: 0, cancelled: 0, active: 0, successRate: null, meanDurationMs: null, durationP95Ms: null });
      }
    });

    it('allows exactly 366 days and refuses bad ranges and dates with BAD_USER_INPUT naming the field', async () => {
      expect(await ask(a, { from: iso(D - 100 * day), to: iso(D + 266 * day) })).toMatchObject({ jobs: 11, succeeded: 6, failed: 2 });
      const token = await a.token('viewer');
      const bad: Array<[Record<string, unknown>, string]> = [
        [{ from: period.to, to: period.from }, 'from'],
        [{ from: iso(D - 100 * day), to: iso(D + 266 * day + 1) }, 'from'],
        [{ from: '2026-03-10', to: period.to }, 'from'],
        [{ from: '2026-03-10T00:00:00', to: period.to }, 'from'],
        [{ from: period.from, to: '2026-02-30T00:00:00Z' }, 'to'],
        [{ from: '1969-12-31T23:59:59Z', to: period.to }, 'from'],
        [{ from: period.from, to: 'tomorrow' }, 'to'],
      ];
      for (const [variables, field] of bad) {
        const response = await stack.query(token, query, variables);
        expect([errorCodes(response), response.errors?.[0]?.extensions?.['field']]).toEqual([['BAD_USER_INPUT'], field]);
      }
    });
  });

  describe('requestMetrics', () => {
    const H = Date.UTC(2026, 10, 20, 9); // 2026-11-20T09:00:00Z
    const M = H + 5 * 60_000;
    const columns = ['lat_0_5', 'lat_5_10', 'lat_10_25', 'lat_25_50', 'lat_50_100', 'lat_100_250', 'lat_250_500', 'lat_500_1000', 'lat_1000_2500', 'lat_2500_5000', 'lat_5000_10000', 'lat_10000_inf'];
    const seed = async (at: number, type: string, name: string, sums: { requests: number; errors: number; sum: number; max: number; histogram: Record<string, number>; codes?: Record<string, number> }) => {
      await stack.adminQuery(
        `INSERT INTO \`${a.schema}\`.request_metrics (bucket_start, op_type, op_name, requests, errors, latency_ms_sum, latency_ms_max, ${columns.join(', ')})
         VALUES (?, ?, ?, ?, ?, ?, ?, ${columns.map(() => '?').join(', ')})`,
        [new Date(at), type, name, sums.requests, sums.errors, sums.sum, sums.max, ...columns.map((c) => sums.histogram[c] ?? 0)],
      );
      for (const [code, n] of Object.entries(sums.codes ?? {})) {
        await stack.adminQuery(`INSERT INTO \`${a.schema}\`.request_metric_errors (bucket_start, op_type, op_name, code, requests) VALUES (?, ?, ?, ?, ?)`, [new Date(at), type, name, code, n]);
      }
    };
    const fields = 'start end requests errors errorRate meanLatencyMs maxLatencyMs latencyP50Ms latencyP95Ms latencyP99Ms errorsByCode { code requests }';
    const query = `query($from: DateTime!, $to: DateTime!, $granularity: MetricGranularity, $type: OperationType, $name: String) {
      requestMetrics(from: $from, to: $to, granularity: $granularity, operationType: $type, operationName: $name) {
        from to total { ${fields} } points { ${fields} } operations { operationType operationName requests errors errorRate meanLatencyMs maxLatencyMs latencyP50Ms latencyP95Ms latencyP99Ms } } }`;
    type Point = Record<string, unknown>;
    const ask = async (tenant: TestTenant, variables: Record<string, unknown>) =>
      expectNoErrors(await stack.query<{ requestMetrics: { from: string; to: string; total: Point; points: Point[]; operations: Point[] } }>(await tenant.token('viewer'), query, variables)).requestMetrics;

    beforeAll(async () => {
      // Minute M: 4 queries, 1 failed; latencies 2 in (10, 25] and 2 in (25, 50] ms, the largest 40 ms.
      await seed(M, 'query', 'Alpha', { requests: 4, errors: 1, sum: 100, max: 40, histogram: { lat_10_25: 2, lat_25_50: 2 }, codes: { NOT_FOUND: 1 } });
      // Minute M+1: 1 mutation of 600 ms that failed with two codes.
      await seed(M + 60_000, 'mutation', 'Beta', { requests: 1, errors: 1, sum: 600, max: 600, histogram: { lat_500_1000: 1 }, codes: { FORBIDDEN: 1, BAD_USER_INPUT: 1 } });
      // Same hour, later minute; and the hour before.
      await seed(H + 59 * 60_000, 'query', 'Alpha', { requests: 5, errors: 0, sum: 5, max: 2, histogram: { lat_0_5: 5 } });
      await seed(H - 60_000, 'query', 'Alpha', { requests: 100, errors: 100, sum: 100, max: 1, histogram: { lat_0_5: 100 }, codes: { INTERNAL: 100 } });
    });

    it('per minute: the minutes holding `from` and `to`, each point and the total estimated from the histogram as worked out by hand', async () => {
      // from = M + 30 s written at +02:00, to = the first instant of minute M+1: both minutes, nothing else.
      const m = await ask(a, { from: '2026-11-20T11:05:30+02:00', to: iso(M + 60_000) });
      expect([m.from, m.to]).toEqual([iso(M + 30_000), iso(M + 60_000)]);
      expect(m.points).toEqual([
        // p50: rank 2 falls at the top of (10, 25] → 25; p95: rank 3.8 → 25 + 25 × 1.8/2 = 47.5, capped at the 40 ms maximum; p99 likewise.
        { start: iso(M), end: iso(M + 60_000), requests: 4, errors: 1, errorRate: 0.25, meanLatencyMs: 25, maxLatencyMs: 40, latencyP50Ms: 25, latencyP95Ms: 40, latencyP99Ms: 40, errorsByCode: [{ code: 'NOT_FOUND', requests: 1 }] },
        // One request in (500, 1000]: every estimate is capped at its 600 ms; codes tie on count, so by name.
        {
          start: iso(M + 60_000),
          end: iso(M + 120_000),
          requests: 1,
          errors: 1,
          errorRate: 1,
          meanLatencyMs: 600,
          maxLatencyMs: 600,
          latencyP50Ms: 600,
          latencyP95Ms: 600,
          latencyP99Ms: 600,
          errorsByCode: [
            { code: 'BAD_USER_INPUT', requests: 1 },
            { code: 'FORBIDDEN', requests: 1 },
          ],
        },
      ]);
      // Total: 5 requests, 2 failed, mean 700 / 5 = 140; histogram 2, 2 and 1: p50 rank 2.5 → 25 + 25 × 0.5/2 = 31.25; p95 rank 4.75 → 875, capped at 600.
      expect(m.total).toEqual({
        start: iso(M),
        end: iso(M + 120_000),
        requests: 5,
        errors: 2,
        errorRate: 0.4,
        meanLatencyMs: 140,
        maxLatencyMs: 600,
        latencyP50Ms: 31.25,
        latencyP95Ms: 600,
        latencyP99Ms: 600,
        errorsByCode: [
          { code: 'BAD_USER_INPUT', requests: 1 },
          { code: 'FORBIDDEN', requests: 1 },
          { code: 'NOT_FOUND', requests: 1 },
        ],
      });
      expect(m.operations).toEqual([
        { operationType: 'QUERY', operationName: 'Alpha', requests: 4, errors: 1, errorRate: 0.25, meanLatencyMs: 25, maxLatencyMs: 40, latencyP50Ms: 25, latencyP95Ms: 40, latencyP99Ms: 40 },
        { operationType: 'MUTATION', operationName: 'Beta', requests: 1, errors: 1, errorRate: 1, meanLatencyMs: 600, maxLatencyMs: 600, latencyP50Ms: 600, latencyP95Ms: 600, latencyP99Ms: 600 },
      ]);
    });

    it('per hour, filtered, empty, and for tenant B', async () => {
      // The hour H holds 4 + 1 + 5 = 10 requests; latency sum 705, histogram 5, 2, 2, 1: p50 rank 5 → top of (0, 5] = 5.
      const hourly = await ask(a, { from: iso(H + 10 * 60_000), to: iso(H + 20 * 60_000), granularity: 'HOUR' });
      expect(hourly.points.map((p) => [p['start'], p['end'], p['requests'], p['errors'], p['meanLatencyMs'], p['latencyP50Ms'], p['maxLatencyMs']])).toEqual([[iso(H), iso(H + hour), 10, 2, 70.5, 5, 600]]);
      const alpha = await ask(a, { from: iso(H), to: iso(H + 59 * 60_000), type: 'QUERY', name: 'Alpha' });
      expect(alpha.total).toMatchObject({ requests: 9, errors: 1, errorsByCode: [{ code: 'NOT_FOUND', requests: 1 }] });
      expect(alpha.points).toHaveLength(60);
      const quiet = await ask(a, { from: iso(H + 30 * 60_000), to: iso(H + 30 * 60_000) });
      expect(quiet.points).toEqual([{ start: iso(H + 30 * 60_000), end: iso(H + 31 * 60_000), requests: 0, errors: 0, errorRate: 0, meanLatencyMs: null, maxLatencyMs: null, latencyP50Ms: null, latencyP95Ms: null, latencyP99Ms: null, errorsByCode: [] }]);
      for (const variables of [{ from: iso(H - hour), to: iso(H + hour), granularity: 'HOUR' }, { from: iso(M), to: iso(M + 60_000), name: 'Alpha' }]) {
        const ofB = await ask(b, variables);
        expect([ofB.total['requests'], ofB.total['errorsByCode'], ofB.operations]).toEqual([0, [], []]);
      }
    });
  });


  describe('inferenceStats', () => {
    const T = Date.UTC(2026, 10, 25, 12); // 2026-11-25T12:00:00Z
    let modelX: string;
    let modelY: string;
    const version = randomUUID(); // a version deleted since: its numbers stay, without a number
    const seed = (modelId: string, versionId: string, at: number, n: { calls: number; rows: number; errors: number; batchSum: number; batchMax: number; latencySum: number; latencyMax: number }) =>
      stack.adminQuery(
        `INSERT INTO \`${a.schema}\`.inference_stats (model_version_id, model_id, minute, calls, row_count, errors, batch_size_sum, batch_size_max, latency_ms_sum, latency_ms_max, latency_le_5ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [versionId, modelId, new Date(at), n.calls, n.rows, n.errors, n.batchSum, n.batchMax, n.latencySum, n.latencyMax, Math.min(n.calls, 1)],
      );
    const query = `query($id: ID!, $from: DateTime, $to: DateTime) { inferenceStats(modelId: $id, from: $from, to: $to) {
      from to calls rows errors meanLatencyMs maxLatencyMs meanBatchSize maxBatchSize minutes { minute versionNumber calls rows errors meanBatchSize maxBatchSize meanLatencyMs maxLatencyMs } } }`;
    const ask = async (tenant: TestTenant, variables: Record<string, unknown>) => stack.query<{ inferenceStats: Record<string, unknown> & { minutes: unknown[] } }>(await tenant.token('viewer'), query, variables);

    beforeAll(async () => {
      const scientist = await a.token('data_scientist');
      [modelX, modelY] = [await newModel(stack, scientist, 'exact-x'), await newModel(stack, scientist, 'exact-y')];
      await seed(modelX, version, T - 60_000, { calls: 50, rows: 50, errors: 50, batchSum: 50, batchMax: 1, latencySum: 50, latencyMax: 1 });
      await seed(modelX, version, T, { calls: 4, rows: 10, errors: 1, batchSum: 10, batchMax: 5, latencySum: 20, latencyMax: 9 });
      await seed(modelX, version, T + 60_000, { calls: 1, rows: 2, errors: 0, batchSum: 2, batchMax: 2, latencySum: 30, latencyMax: 30 });
      await seed(modelX, version, T + 120_000, { calls: 100, rows: 100, errors: 0, batchSum: 100, batchMax: 1, latencySum: 100, latencyMax: 1 });
    });

    it('sums the minutes from the one holding `from` to the one holding `to`, as worked out by hand', async () => {
      const { inferenceStats } = expectNoErrors(await ask(a, { id: modelX, from: iso(T + 30_000), to: iso(T + 60_000) }));
      // Minutes T and T+1: 5 calls, 12 rows, 1 error; latency 50 / 5 = 10 ms (max 30); batch 12 / 5 = 2.4 (max 5).
      expect(inferenceStats).toEqual({
        from: iso(T + 30_000),
        to: iso(T + 60_000),
        calls: 5,
        rows: 12,
        errors: 1,
        meanLatencyMs: 10,
        maxLatencyMs: 30,
        meanBatchSize: 2.4,
        maxBatchSize: 5,
        minutes: [
          { minute: iso(T), versionNumber: null, calls: 4, rows: 10, errors: 1, meanBatchSize: 2.5, maxBatchSize: 5, meanLatencyMs: 5, maxLatencyMs: 9 },
          { minute: iso(T + 60_000), versionNumber: null, calls: 1, rows: 2, errors: 0, meanBatchSize: 2, maxBatchSize: 2, meanLatencyMs: 30, maxLatencyMs: 30 },
        ],
      });
      const response = await ask(b, { id: modelX, from: iso(T + 30_000), to: iso(T + 60_000) });
      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    });

    it('answers a range of exactly 31 days whose `from` is not on a whole minute (that minute counts whole)', async () => {
      const to = T + 90_000;
      const { inferenceStats } = expectNoErrors(await ask(a, { id: modelX, from: iso(to - 31 * day), to: iso(to) }));
      // T−1, T and T+1 start within [floor(from), to]; T+2 starts after `to`.
      expect([inferenceStats['calls'], inferenceStats.minutes.length]).toEqual([55, 3]);
      const over = await ask(a, { id: modelX, from: iso(to - 31 * day - 1), to: iso(to) });
      expect([errorCodes(over), over.errors?.[0]?.extensions?.['field']]).toEqual([['BAD_USER_INPUT'], 'from']);
    });

    it('answers at most 3 000 minute rows (a minute per version called in it): a range holding more is refused, nothing read beyond', async () => {
      const end = T - day;
      for (const v of [randomUUID(), randomUUID()]) {
        await stack.adminQuery(
          `INSERT INTO \`${a.schema}\`.inference_stats (model_version_id, model_id, minute, calls, row_count, errors, batch_size_sum, batch_size_max, latency_ms_sum, latency_ms_max)
           SELECT ?, ?, TIMESTAMPADD(MINUTE, -seq, ?), 1, 1, 0, 1, 1, 1, 1 FROM \`${a.schema}\`.seq_0_to_1500`,
          [v, modelY, new Date(end)],
        );
      }
      // Two versions × 1 501 minutes = 3 002 rows; without the first minute, 3 000.
      const full = await ask(a, { id: modelY, from: iso(end - 1500 * 60_000), to: iso(end) });
      expect([errorCodes(full), full.errors?.[0]?.extensions?.['field']]).toEqual([['BAD_USER_INPUT'], 'from']);
      const { inferenceStats } = expectNoErrors(await ask(a, { id: modelY, from: iso(end - 1499 * 60_000), to: iso(end) }));
      expect([inferenceStats['calls'], inferenceStats.minutes.length]).toEqual([3000, 3000]);
    });

    it('per HOUR: each version\'s minutes of an hour added up in one entry, the hour holding `from` whole; what is too long per minute fits', async () => {
      const other = randomUUID();
      await seed(modelX, other, T + 30 * 60_000, { calls: 3, rows: 3, errors: 0, batchSum: 6, batchMax: 2, latencySum: 9, latencyMax: 4 });
      const hourly = `query($id: ID!, $from: DateTime, $to: DateTime) { inferenceStats(modelId: $id, from: $from, to: $to, granularity: HOUR) {
        granularity calls rows errors meanLatencyMs maxLatencyMs meanBatchSize maxBatchSize minutes { minute calls rows errors meanBatchSize maxBatchSize meanLatencyMs maxLatencyMs } } }`;
      const response = await stack.query<{ inferenceStats: Record<string, unknown> & { minutes: Array<Record<string, unknown>> } }>(await a.token('viewer'), hourly, { id: modelX, from: iso(T - 30 * 60_000), to: iso(T + 45 * 60_000) });
      const { inferenceStats } = expectNoErrors(response);
      // 11:00 (from 11:30 counts whole): the minute 11:59. 12:00: minutes 12:00, 12:01, 12:02 of one
      // version (105 calls, 112 rows, 1 error, batch sum 112, latency sum 150) and 12:30 of another.
      const byCalls = [...inferenceStats.minutes].sort((x, y) => Number(x['calls']) - Number(y['calls']));
      expect(byCalls).toEqual([
        { minute: iso(T), calls: 3, rows: 3, errors: 0, meanBatchSize: 2, maxBatchSize: 2, meanLatencyMs: 3, maxLatencyMs: 4 },
        { minute: iso(T - 3600_000), calls: 50, rows: 50, errors: 50, meanBatchSize: 1, maxBatchSize: 1, meanLatencyMs: 1, maxLatencyMs: 1 },
        { minute: iso(T), calls: 105, rows: 112, errors: 1, meanBatchSize: 112 / 105, maxBatchSize: 5, meanLatencyMs: 150 / 105, maxLatencyMs: 30 },
      ]);
      expect(inferenceStats.minutes.map((entry) => entry['minute'])).toEqual([iso(T - 3600_000), iso(T), iso(T)]);
      const { minutes: _minutes, ...totals } = inferenceStats;
      expect(totals).toEqual({ granularity: 'HOUR', calls: 158, rows: 165, errors: 51, meanLatencyMs: 209 / 158, maxLatencyMs: 30, meanBatchSize: 168 / 158, maxBatchSize: 5 });
      // The 3 002 minute rows refused above are 2 versions × 26 hours per hour.
      const end = T - day;
      const long = expectNoErrors(await stack.query<{ inferenceStats: { calls: number; minutes: unknown[] } }>(await a.token('viewer'), hourly, { id: modelY, from: iso(end - 1500 * 60_000), to: iso(end) }));
      expect([long.inferenceStats.calls, long.inferenceStats.minutes.length]).toEqual([3002, 52]);
      // Tenant B: the same handle per hour is NOT_FOUND too.
      expect(errorCodes(await stack.query(await b.token('viewer'), hourly, { id: modelX, from: iso(T - 30 * 60_000), to: iso(T + 45 * 60_000) }))).toEqual(['NOT_FOUND']);
    });
  });

});
