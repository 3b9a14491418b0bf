import { randomUUID } from 'node:crypto';
import { createLogger } from '@tessera/config';
import { RequestMetricsRecorder, requestMetricsConfig, type RequestObservation } from '@tessera/monitoring';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

interface Point {
  start: string;
  end: string;
  requests: number;
  errors: number;
  errorRate: number;
  maxLatencyMs: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyP99Ms: number | null;
  errorsByCode: Array<{ code: string; requests: number }>;
}
interface Series {
  requestMetrics: {
    granularity: string;
    total: Point;
    points: Point[];
    operations: Array<{ operationType: string; operationName: string; requests: number; errors: number }>;
  };
}

const pointFields = 'start end requests errors errorRate maxLatencyMs latencyP50Ms latencyP95Ms latencyP99Ms errorsByCode { code requests }';
const seriesQuery = `query Series($from: DateTime!, $to: DateTime!, $granularity: MetricGranularity, $type: OperationType, $name: String) {
  requestMetrics(from: $from, to: $to, granularity: $granularity, operationType: $type, operationName: $name) {
    granularity total { ${pointFields} } points { ${pointFields} } operations { operationType operationName requests errors }
  }
}`;

/**
 * Request metrics end to end: real requests through the gateway, recorded per tenant in memory,
 * written to the tenant's schema by the gateway's flush (forced here, instead of waiting for the
 * timer), read back through `requestMetrics`. Tenant B never sees A's numbers, by any argument.
 */
describe('request metrics', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let range: { from: string; to: string };

  beforeAll(async () => {
    stack = await startTestStack({ monitoring: { requestMetrics: { flushIntervalMs: 0 } } });
    // Polls and drives volume on purpose: a minute's burst, so the gateway's burst limit (tested in
    // gateway/test/rate-limit.test.ts) does not pace this test.
    [a, b] = await Promise.all([stack.createTenant({ limits: { costBurst: 60_000 } }), stack.createTenant({ limits: { costBurst: 60_000 } })]);
    const started = new Date();
    const viewer = await a.token('viewer');
    for (let i = 0; i < 3; i++) expectNoErrors(await stack.query(viewer, 'query UsageCheck { tenantUsage { datasets } }'));
    for (let i = 0; i < 2; i++) {
      expect(errorCodes(await stack.query(viewer, 'query BadRange { requestMetrics(from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z") { total { requests } } }'))).toEqual(['BAD_USER_INPUT']);
    }
    expectNoErrors(await stack.query(viewer, '{ tenantUsage { models } }'));
    const parseError = await stack.query(viewer, 'query Broken { tenantUsage {');
    expect(errorCodes(parseError)).toEqual(['GRAPHQL_PARSE_FAILED']);
    await stack.platform.gateway.flushRequestMetrics();
    range = { from: new Date(started.getTime() - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
  });
  afterAll(() => stack?.stop());

  it("counts the tenant's requests, errors by code and latency per operation", async () => {
    const { requestMetrics } = expectNoErrors(await stack.query<Series>(await a.token('viewer'), seriesQuery, range));
    expect(requestMetrics.granularity).toBe('MINUTE');
    expect(requestMetrics.total).toMatchObject({ requests: 7, errors: 3, errorRate: 3 / 7 });
    expect(requestMetrics.total.errorsByCode).toEqual([
      { code: 'BAD_USER_INPUT', requests: 2 },
      { code: 'GRAPHQL_PARSE_FAILED', requests: 1 },
    ]);
    const ops = Object.fromEntries(requestMetrics.operations.map((o) => [`${o.operationType} ${o.operationName}`, { requests: o.requests, errors: o.errors }]));
    expect(ops).toEqual({
      'QUERY UsageCheck': { requests: 3, errors: 0 },
      'QUERY BadRange': { requests: 2, errors: 2 },
      'QUERY (anonymous)': { requests: 1, errors: 0 },
      'INVALID (anonymous)': { requests: 1, errors: 1 },
    });
    const { p50, p95, p99, max } = {
      p50: requestMetrics.total.latencyP50Ms!,
      p95: requestMetrics.total.latencyP95Ms!,
      p99: requestMetrics.total.latencyP99Ms!,
      max: requestMetrics.total.maxLatencyMs!,
    };
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(max);
  });

  it('returns one point per minute covering the range, summing to the total', async () => {
    const { requestMetrics } = expectNoErrors(await stack.query<Series>(await a.token('data_scientist'), seriesQuery, range));
    const minutes = requestMetrics.points.map((p) => new Date(p.start).getTime());
    expect(minutes.every((m, i) => i === 0 || m - minutes[i - 1]! === 60_000)).toBe(true);
    expect(minutes[0]).toBe(Math.floor(new Date(range.from).getTime() / 60_000) * 60_000);
    expect(requestMetrics.points.reduce((n, p) => n + p.requests, 0)).toBe(7);
    expect(requestMetrics.points.reduce((n, p) => n + p.errors, 0)).toBe(3);
    expect(requestMetrics.points.filter((p) => p.requests === 0).every((p) => p.latencyP95Ms === null && p.errorRate === 0)).toBe(true);
  });

  it('aggregates per hour and filters by operation type and name', async () => {
    const token = await a.token('admin');
    const hourly = expectNoErrors(await stack.query<Series>(token, seriesQuery, { ...range, granularity: 'HOUR' })).requestMetrics;
    expect(hourly.total.requests).toBe(7);
    expect(new Date(hourly.points[0]!.start).getTime() % 3_600_000).toBe(0);
    const named = expectNoErrors(await stack.query<Series>(token, seriesQuery, { ...range, name: 'BadRange' })).requestMetrics;
    expect(named.total).toMatchObject({ requests: 2, errors: 2, errorRate: 1 });
    const invalid = expectNoErrors(await stack.query<Series>(token, seriesQuery, { ...range, type: 'INVALID' })).requestMetrics;
    expect(invalid.total.requests).toBe(1);
    const mutations = expectNoErrors(await stack.query<Series>(token, seriesQuery, { ...range, type: 'MUTATION' })).requestMetrics;
    expect(mutations.total.requests).toBe(0);
  });

  it.each(['admin', 'data_scientist', 'viewer'] as const)("tenant B (%s) never sees A's metrics, by any argument", async (role) => {
    const token = await b.token(role);
    for (const variables of [range, { ...range, granularity: 'HOUR' }, { ...range, name: 'UsageCheck' }, { ...range, name: 'BadRange', type: 'QUERY' }, { ...range, type: 'INVALID' }]) {
      const { requestMetrics } = expectNoErrors(await stack.query<Series>(token, seriesQuery, variables));
      expect(requestMetrics.total.requests).toBe(0);
      expect(requestMetrics.operations).toEqual([]);
    }
  });

  it("B's own requests land in B's metrics only", async () => {
    const tokenB = await b.token('viewer');
    expectNoErrors(await stack.query(tokenB, 'query OnlyB { tenantUsage { datasets } }'));
    await stack.platform.gateway.flushRequestMetrics();
    const ofB = expectNoErrors(await stack.query<Series>(tokenB, seriesQuery, { ...range, name: 'OnlyB' })).requestMetrics;
    expect(ofB.total.requests).toBe(1);
    const ofA = expectNoErrors(await stack.query<Series>(await a.token('viewer'), seriesQuery, { ...range, name: 'OnlyB' })).requestMetrics;
    expect(ofA.total.requests).toBe(0);
  });

  it('refuses bad input with typed errors', async () => {
    const token = await a.token('viewer');
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ from: iso(now), to: iso(now - 1000) }, 'from'],
      [{ from: iso(now - 25 * 3_600_000), to: iso(now) }, 'from'],
      [{ from: iso(now - 63 * 24 * 3_600_000), to: iso(now), granularity: 'HOUR' }, 'from'],
      [{ from: 'yesterday', to: iso(now) }, 'from'],
      [{ from: iso(now - 1000), to: '2026-13-45T99:00:00Z' }, 'to'],
      [{ from: '2026-01-01 00:00:00', to: iso(now) }, 'from'],
      [{ from: iso(now - 1000), to: iso(now), name: "x' OR 1=1 --" }, 'operationName'],
      [{ from: iso(now - 1000), to: iso(now), name: 'a'.repeat(65) }, 'operationName'],
    ];
    for (const [variables, field] of bad) {
      const response = await stack.query(token, seriesQuery, variables);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.extensions?.['field']).toBe(field);
    }
    expect(errorCodes(await stack.query(token, seriesQuery, { ...range, type: 'DELETE' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(undefined, seriesQuery, range))).toEqual(['UNAUTHENTICATED']);
  });

  // Last: its flush also writes what the other tests' own queries left in memory.
  it('an operation refused by a limit after it was parsed is counted under its own type and name; one that never parsed as INVALID', async () => {
    const tenant = await stack.createTenant({ limits: { costBurst: 60_000, maxOperationDepth: 5 } });
    const viewer = await tenant.token('viewer');
    const started = new Date();
    for (let i = 0; i < 2; i++) expect(errorCodes(await stack.query(viewer, 'query TooDeep { datasets { edges { node { versions { edges { node { id } } } } } } }'))).toEqual(['QUERY_TOO_COMPLEX']);
    expect(errorCodes(await stack.query(viewer, 'query Broken { currentTenant {'))).toEqual(['GRAPHQL_PARSE_FAILED']);
    await stack.platform.gateway.flushRequestMetrics();
    const window = { from: new Date(started.getTime() - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    const { requestMetrics } = expectNoErrors(await stack.query<Series>(await tenant.token('admin'), seriesQuery, window));
    const ops = Object.fromEntries(requestMetrics.operations.map((o) => [`${o.operationType} ${o.operationName}`, { requests: o.requests, errors: o.errors }]));
    expect(ops['QUERY TooDeep']).toEqual({ requests: 2, errors: 2 });
    expect(ops['INVALID (anonymous)']).toEqual({ requests: 1, errors: 1 });
  });


  describe('training metrics', () => {
    const day = Date.UTC(2026, 2, 1);
    beforeAll(async () => {
      const insert = (kind: string, status: string, durationMs: number | null) =>
        stack.platform.runtime.db.query(
          `INSERT INTO \`${a.schema}\`.jobs (id, kind, status, input_json, progress, attempts, created_by, created_at, updated_at, started_at, finished_at)
           VALUES (?, ?, ?, '{}', 100, 1, 'seed', ?, ?, ?, ?)`,
          [randomUUID(), kind, status, new Date(day), new Date(day), new Date(day + 1000), durationMs === null ? null : new Date(day + 1000 + durationMs)],
        );
      for (const ms of [1000, 2000, 3000, 10_000]) await insert('TRAIN', 'SUCCEEDED', ms);
      await insert('TRAIN', 'FAILED', 500);
      await insert('TRAIN', 'CANCELLED', 100);
      await insert('TRAIN', 'RUNNING', null);
      await insert('PROFILE', 'SUCCEEDED', 99_000);
    });
    const query = `query($from: DateTime!, $to: DateTime!) { trainingMetrics(from: $from, to: $to) {
      jobs succeeded failed cancelled active successRate meanDurationMs durationP50Ms durationP95Ms } }`;
    const period = { from: new Date(day - 3_600_000).toISOString(), to: new Date(day + 3_600_000).toISOString() };

    it('counts outcomes and run times of TRAIN jobs only', async () => {
      const { trainingMetrics } = expectNoErrors(await stack.query<{ trainingMetrics: Record<string, number> }>(await a.token('viewer'), query, period));
      expect(trainingMetrics).toEqual({ jobs: 7, succeeded: 4, failed: 1, cancelled: 1, active: 1, successRate: 0.8, meanDurationMs: 4000, durationP50Ms: 2000, durationP95Ms: 10_000 });
      const outside = expectNoErrors(
        await stack.query<{ trainingMetrics: Record<string, unknown> }>(await a.token('viewer'), query, { from: new Date(day + 7_200_000).toISOString(), to: new Date(day + 9_000_000).toISOString() }),
      );
      expect(outside.trainingMetrics).toMatchObject({ jobs: 0, successRate: null, durationP50Ms: null });
    });

    it("tenant B sees none of A's jobs, and bad ranges are refused", async () => {
      const { trainingMetrics } = expectNoErrors(await stack.query<{ trainingMetrics: Record<string, unknown> }>(await b.token('admin'), query, period));
      expect(trainingMetrics).toMatchObject({ jobs: 0, succeeded: 0, successRate: null, durationP95Ms: null });
      const token = await a.token('viewer');
      expect(errorCodes(await stack.query(token, query, { from: period.to, to: period.from }))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await stack.query(token, query, { from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }))).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('writing', () => {
    const observation = (tenantId: string, name: string): RequestObservation => ({
      tenantId,
      startedAt: Date.now(),
      operationType: 'query',
      operationName: name,
      latencyMs: 4,
      errorCodes: [],
    });
    const countOf = async (schema: string, name: string) => {
      const rows = (await stack.platform.runtime.db.query(`SELECT COALESCE(SUM(requests), 0) AS n FROM \`${schema}\`.request_metrics WHERE op_name = ?`, [name])) as Array<{ n: string | number }>;
      return Number(rows[0]?.n ?? 0);
    };

    it('keeps what a failed write held and writes it at the next flush, exactly once', async () => {
      const recorder = new RequestMetricsRecorder({ db: stack.platform.runtime.db, logger: createLogger('silent'), config: requestMetricsConfig({ flushIntervalMs: 0, maxFlushAttempts: 3 }) });
      recorder.record(observation(b.id, 'Retried'));
      recorder.record(observation(b.id, 'Retried'));
      recorder.record(observation(a.id, 'Unaffected'));
      await stack.adminQuery(`RENAME TABLE \`${b.schema}\`.request_metrics TO \`${b.schema}\`.request_metrics_offline`);
      try {
        expect(await recorder.flush()).toEqual({ written: 1, retrying: 1, dropped: 0 });
      } finally {
        await stack.adminQuery(`RENAME TABLE \`${b.schema}\`.request_metrics_offline TO \`${b.schema}\`.request_metrics`);
      }
      expect(await countOf(a.schema, 'Unaffected')).toBe(1);
      expect(await countOf(b.schema, 'Retried')).toBe(0);
      recorder.record(observation(b.id, 'Retried'));
      expect(await recorder.flush()).toEqual({ written: 1, retrying: 0, dropped: 0 });
      expect(await countOf(b.schema, 'Retried')).toBe(3);
      // close() writes what is left (the gateway calls it at shutdown)
      recorder.record(observation(b.id, 'AtShutdown'));
      await recorder.close();
      expect(await countOf(b.schema, 'AtShutdown')).toBe(1);
    });

    it('gives up after maxFlushAttempts for a tenant whose schema is gone, without stopping', async () => {
      const recorder = new RequestMetricsRecorder({ db: stack.platform.runtime.db, logger: createLogger('silent'), config: requestMetricsConfig({ flushIntervalMs: 0, maxFlushAttempts: 3 }) });
      recorder.record(observation('tgone000000', 'Lost'));
      expect(await recorder.flush()).toEqual({ written: 0, retrying: 1, dropped: 0 });
      expect(await recorder.flush()).toEqual({ written: 0, retrying: 1, dropped: 0 });
      expect(await recorder.flush()).toEqual({ written: 0, retrying: 0, dropped: 1 });
      expect(await recorder.flush()).toEqual({ written: 0, retrying: 0, dropped: 0 });
      await recorder.close();
    });
  });
});
