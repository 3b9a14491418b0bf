import { randomUUID } from 'node:crypto';
import { createEventBus, type EventBus, type EventSubscription } from '@tessera/events';
import { anomalyDetectionConfig } from '@tessera/monitoring';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { AnomalyEngine } from '../src/domain/anomaly-engine';

interface AnomalyView {
  id: string;
  metric: string;
  windowStart: string;
  windowEnd: string;
  observed: number;
  expected: number;
  score: number;
  threshold: number;
  summary: string;
}
interface AlertMessage {
  id: string;
  rule: string;
  summary?: string;
  anomaly?: { metric: string; observed: number };
}

const anomaliesQuery = `query($from: DateTime!, $to: DateTime!, $metric: AnomalyMetric, $first: Int) {
  anomalies(from: $from, to: $to, metric: $metric, first: $first) { id metric windowStart windowEnd observed expected score threshold summary }
}`;

/** Runs `request` back to back until it has run in `seconds` distinct wall-clock seconds (1 s buckets here). */
async function during(seconds: number, request: () => Promise<void>): Promise<void> {
  const seen = new Set<number>();
  while (seen.size < seconds) {
    seen.add(Math.floor(Date.now() / 1000));
    await request();
  }
}

/** Reads a subscription until `marker` arrives: everything before it was published before the marker. */
async function drainUntil(subscription: EventSubscription<AlertMessage>, marker: string): Promise<AlertMessage[]> {
  const received: AlertMessage[] = [];
  for (;;) {
    const next = await subscription.next();
    if (next.done) return received;
    if (next.value.id === marker) return received;
    received.push(next.value);
  }
}

/**
 * Anomaly detection fed by real recorded metrics: both tenants send steady, successful traffic
 * through the gateway; then tenant A's requests start failing. The gateway's buckets and the
 * detector's warm-up are shortened by configuration (1 s buckets, 4 buckets of warm-up) so the
 * baseline takes seconds, not a quarter of an hour; nothing else differs from production.
 */
describe('anomaly detection', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let bus: EventBus;
  let alertsOfA: EventSubscription<AlertMessage>;
  let alertsOfB: EventSubscription<AlertMessage>;
  let started: Date;

  beforeAll(async () => {
    stack = await startTestStack({
      monitoring: {
        requestMetrics: { bucketSeconds: 1, flushIntervalMs: 0 },
        anomalies: { bucketSeconds: 1, intervalMs: 0, settleMs: 0, warmupBuckets: 4, minRequests: 1 },
      },
    });
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    bus = createEventBus(stack.config.redis);
    alertsOfA = bus.subscribe<AlertMessage>(a.id, 'alerts');
    alertsOfB = bus.subscribe<AlertMessage>(b.id, 'alerts');
    await Promise.all([alertsOfA.ready, alertsOfB.ready]);

    started = new Date();
    const [viewerA, viewerB] = await Promise.all([a.token('viewer'), b.token('viewer')]);
    const succeed = (token: string) => async () => {
      expectNoErrors(await stack.query(token, 'query Steady { tenantUsage { datasets } }'));
    };
    const fail = async () => {
      const response = await stack.query(viewerA, 'query Failing { requestMetrics(from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z") { total { requests } } }');
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    };
    // Baseline for both, then A fails while B carries on as before.
    let bRunning = true;
    const bTraffic = (async () => {
      const steadyB = succeed(viewerB);
      while (bRunning) await steadyB();
    })();
    await during(8, succeed(viewerA));
    await during(3, fail);
    bRunning = false;
    await bTraffic;
    // Everything up to now is written; once the current second has ended, every bucket with traffic is closed.
    await stack.platform.gateway.flushRequestMetrics();
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    await stack.platform.gateway.flushRequestMetrics();
  });
  afterAll(async () => {
    await alertsOfA?.return?.();
    await alertsOfB?.return?.();
    await bus?.close();
    await stack?.stop();
  });

  const range = () => ({ from: new Date(started.getTime() - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });

  it("flags A's burst of errors as an ERROR_RATE anomaly and raises an alert for A", async () => {
    const { anomalies } = expectNoErrors(await stack.query<{ anomalies: AnomalyView[] }>(await a.token('viewer'), anomaliesQuery, range()));
    const errorRate = anomalies.filter((x) => x.metric === 'ERROR_RATE');
    expect(errorRate.length).toBeGreaterThanOrEqual(1);
    for (const anomaly of errorRate) {
      expect(anomaly.observed).toBeGreaterThan(0.5);
      expect(anomaly.expected).toBeLessThan(0.1);
      expect(anomaly.score).toBeGreaterThanOrEqual(anomaly.threshold);
      expect(new Date(anomaly.windowEnd).getTime() - new Date(anomaly.windowStart).getTime()).toBe(1000);
      expect(anomaly.summary).toMatch(/^ERROR_RATE: /);
    }

    // The alert went out on A's alerts topic, in the audit alert shape, carrying the anomaly.
    const expected = new Set(errorRate.map((x) => x.id));
    const alerts: AlertMessage[] = [];
    while (![...expected].every((id) => alerts.some((alert) => alert.id === id))) {
      const next = await alertsOfA.next();
      if (next.done) break;
      alerts.push(next.value);
    }
    const raised = alerts.filter((alert) => expected.has(alert.id));
    expect(raised).toHaveLength(expected.size);
    for (const alert of raised) expect(alert).toMatchObject({ rule: 'ANOMALY', anomaly: { metric: 'ERROR_RATE' } });
  });

  it('judges each bucket once: asking again neither duplicates anomalies nor alerts', async () => {
    const token = await a.token('data_scientist');
    const first = expectNoErrors(await stack.query<{ anomalies: AnomalyView[] }>(token, anomaliesQuery, { ...range(), metric: 'ERROR_RATE' })).anomalies;
    const again = expectNoErrors(await stack.query<{ anomalies: AnomalyView[] }>(token, anomaliesQuery, { ...range(), metric: 'ERROR_RATE' })).anomalies;
    expect(again.map((x) => x.id)).toEqual(first.map((x) => x.id));
    expect(new Set(first.map((x) => x.windowStart)).size).toBe(first.length);
    const marker = `marker-${Date.now()}`;
    await bus.publish(a.id, 'alerts', { id: marker });
    const late = await drainUntil(alertsOfA, marker);
    expect(late.filter((alert) => alert.anomaly?.metric === 'ERROR_RATE')).toEqual([]);
  });

  it('B, whose traffic stayed healthy, has no error anomaly, never sees A\'s, and got no alert of A', async () => {
    const ofA = expectNoErrors(await stack.query<{ anomalies: AnomalyView[] }>(await a.token('viewer'), anomaliesQuery, range())).anomalies;
    for (const role of ['viewer', 'data_scientist', 'admin'] as const) {
      const token = await b.token(role);
      const { anomalies } = expectNoErrors(await stack.query<{ anomalies: AnomalyView[] }>(token, anomaliesQuery, range()));
      expect(anomalies.filter((x) => x.metric === 'ERROR_RATE')).toEqual([]);
      expect(anomalies.some((x) => ofA.some((y) => y.id === x.id))).toBe(false);
      const filtered = expectNoErrors(await stack.query<{ anomalies: AnomalyView[] }>(token, anomaliesQuery, { ...range(), metric: 'ERROR_RATE' }));
      expect(filtered.anomalies).toEqual([]);
    }
    // B's detection has run (above); a marker published after it closes what B could have received.
    const marker = `marker-${Date.now()}`;
    await bus.publish(b.id, 'alerts', { id: marker });
    const received = await drainUntil(alertsOfB, marker);
    expect(received.filter((alert) => alert.anomaly?.metric === 'ERROR_RATE')).toEqual([]);
    expect(received.some((alert) => ofA.some((x) => x.id === alert.id))).toBe(false);
  });

  /**
   * The other sources, seeded in C's own tables the way their writers leave them (audit events of
   * reads; the models service's per-minute inference rows): a steady past, then one spike each.
   */
  it('flags a burst of data reads (audit trail) and a jump in inference errors (inference stats)', async () => {
    const c = await stack.createTenant();
    const db = stack.platform.runtime.db;
    const now = Date.now();
    const second = Math.floor(now / 1000) * 1000;
    const reads: Array<[number, number]> = [];
    for (let s = 60; s >= 11; s--) reads.push([second - s * 1000, 2]);
    reads.push([second - 10_000, 40]);
    for (const [at, count] of reads) {
      for (let i = 0; i < count; i++) {
        await db.query(
          `INSERT INTO \`${c.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json)
           VALUES (?, ?, 'reader', 'viewer', 'dataset.read', 'Dataset', ?, 'SUCCESS', '{}')`,
          [randomUUID(), new Date(at + i), randomUUID()],
        );
      }
    }
    const minute = Math.floor(now / 60_000) * 60_000;
    const modelId = randomUUID();
    const versionId = randomUUID();
    for (let m = 40; m >= 2; m--) {
      const errors = m === 2 ? 70 : m % 3; // 0–2 failures in 100 calls, then 70
      await db.query(
        `INSERT INTO \`${c.schema}\`.inference_stats (model_version_id, model_id, minute, calls, row_count, errors, latency_ms_sum, latency_ms_max) VALUES (?, ?, ?, 100, 100, ?, 300, 5)`,
        [versionId, modelId, new Date(minute - m * 60_000), errors],
      );
    }
    const { anomalies } = expectNoErrors(
      await stack.query<{ anomalies: AnomalyView[] }>(await c.token('viewer'), anomaliesQuery, { from: new Date(now - 3_600_000).toISOString(), to: new Date(now).toISOString() }),
    );
    const reading = anomalies.filter((x) => x.metric === 'DATA_READS');
    expect(reading.map((x) => new Date(x.windowStart).getTime())).toEqual([second - 10_000]);
    expect(reading[0]!.observed).toBe(40 * 60); // per minute
    const inference = anomalies.filter((x) => x.metric === 'INFERENCE_ERROR_RATE');
    expect(inference.map((x) => new Date(x.windowStart).getTime())).toEqual([minute - 2 * 60_000]);
    expect(inference[0]!.observed).toBeCloseTo(0.7, 6);
    expect(anomalies.filter((x) => !['DATA_READS', 'INFERENCE_ERROR_RATE'].includes(x.metric))).toEqual([]);
    // and none of it reaches A or B
    for (const tenant of [a, b]) {
      const other = expectNoErrors(await stack.query<{ anomalies: AnomalyView[] }>(await tenant.token('viewer'), anomaliesQuery, range())).anomalies;
      expect(other.filter((x) => x.metric === 'DATA_READS' || x.metric === 'INFERENCE_ERROR_RATE')).toEqual([]);
    }
  });

  it('the background pass judges every active tenant without anyone asking, and raises the alert', async () => {
    const d = await stack.createTenant();
    const db = stack.platform.runtime.db;
    const second = Math.floor(Date.now() / 1000) * 1000;
    const insertReads = async (at: number, count: number) => {
      for (let i = 0; i < count; i++) {
        await db.query(
          `INSERT INTO \`${d.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json)
           VALUES (?, ?, 'reader', 'viewer', 'model.download', 'ModelVersion', ?, 'SUCCESS', '{}')`,
          [randomUUID(), new Date(at + i), randomUUID()],
        );
      }
    };
    for (let s = 30; s >= 6; s--) await insertReads(second - s * 1000, 1);
    await insertReads(second - 5000, 30);
    const alertsOfD = bus.subscribe<AlertMessage>(d.id, 'alerts');
    await alertsOfD.ready;
    const runtime = stack.platform.runtime;
    const engine = new AnomalyEngine({
      scopes: runtime.scopes,
      tenants: runtime.tenants,
      bus: runtime.events,
      logger: runtime.logger,
      config: anomalyDetectionConfig({ bucketSeconds: 1, intervalMs: 100, settleMs: 0, warmupBuckets: 4, minRequests: 1 }),
    });
    engine.start();
    try {
      const alert = await alertsOfD.next();
      expect(alert.value).toMatchObject({ rule: 'ANOMALY', anomaly: { metric: 'DATA_READS', observed: 30 * 60 } });
      const rows = (await db.query(`SELECT id, metric, window_start FROM \`${d.schema}\`.anomalies`)) as Array<{ id: string; metric: string; window_start: Date }>;
      expect(rows.map((r) => [r.id, r.metric, new Date(r.window_start).getTime()])).toEqual([[(alert.value as AlertMessage).id, 'DATA_READS', second - 5000]]);
    } finally {
      await engine.stop();
      await alertsOfD.return?.();
    }
  });

  it('refuses bad input with typed errors', async () => {
    const token = await a.token('viewer');
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ from: iso(now), to: iso(now - 1) }, 'from'],
      [{ from: iso(now - 93 * 24 * 3_600_000), to: iso(now) }, 'from'],
      [{ from: 'not a date', to: iso(now) }, 'from'],
      [{ ...range(), first: 0 }, 'first'],
      [{ ...range(), first: 501 }, 'first'],
    ];
    for (const [variables, field] of bad) {
      const response = await stack.query(token, anomaliesQuery, variables);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.extensions?.['field']).toBe(field);
    }
    expect(errorCodes(await stack.query(token, anomaliesQuery, { ...range(), metric: 'CPU' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(undefined, anomaliesQuery, range()))).toEqual(['UNAUTHENTICATED']);
  });
});
