import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createEventBus, type EventBus, type EventSubscription } from '@tessera/events';
import { anomalyDetectionConfig } from '@tessera/monitoring';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { detectorPrincipal } from '../src/domain/anomaly-detector';
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
/** An alert as the audit service stores, publishes and posts it. */
interface AlertView {
  id: string;
  rule: string;
  status: string;
  threshold: number;
  observed: number;
  firstSequence: number;
  lastSequence: number;
  summary: string;
}
interface AuditEventView {
  sequence: number;
  actorSubject: string;
  actorRoles: string[];
  action: string;
  targetType: string;
  targetId: string | null;
  outcome: string;
  details: string;
}
interface AnomalyEventDetails {
  anomalyId: string;
  metric: string;
  observed: number;
  expected: number;
  score: number;
  threshold: number;
  windowStart: string;
  windowEnd: string;
}
interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

const anomaliesQuery = `query($from: DateTime!, $to: DateTime!, $metric: AnomalyMetric, $first: Int) {
  anomalies(from: $from, to: $to, metric: $metric, first: $first) { id metric windowStart windowEnd observed expected score threshold summary }
}`;
const alertFields = 'id rule status threshold observed firstSequence lastSequence summary';
const alertsQuery = `{ alerts(first: 100) { ${alertFields} } }`;
const anomalyEventsQuery = `query($after: String) {
  auditEvents(filter: { action: "anomaly.detected" }, first: 100, after: $after) {
    edges { node { sequence actorSubject actorRoles action targetType targetId outcome details } }
    pageInfo { hasNextPage endCursor }
  }
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
async function drainUntil(subscription: EventSubscription<{ id: string }>, marker: string): Promise<Array<{ id: string }>> {
  const received: Array<{ id: string }> = [];
  for (;;) {
    const next = await subscription.next();
    if (next.done) return received;
    if (next.value.id === marker) return received;
    received.push(next.value);
  }
}

/** Polls until `check` returns a value; gives up (failing the test) after 20 s. */
async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A local receiver for the tenant's alert webhook; answers 200 to everything. */
async function startWebhookReceiver(): Promise<{ url: string; received: ReceivedWebhook[]; close(): Promise<void> }> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/anomalies`,
    received,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** The documented signature: X-Tessera-Signature `t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`, checked independently of the service's code. */
function signedWith(secret: string, delivery: ReceivedWebhook): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(delivery.headers['x-tessera-signature']));
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${delivery.body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

/** The anomaly id an ANOMALY alert's summary names (the anomaly that fired it). */
const anomalyIdIn = (summary: string) => /anomaly ([0-9a-f-]{36})\./.exec(summary)?.[1];

/**
 * Anomaly detection fed by real recorded metrics: both tenants send steady, successful traffic
 * through the gateway; then tenant A's requests start failing. The gateway's buckets and the
 * detector's warm-up are shortened by configuration (1 s buckets, 4 buckets of warm-up) so the
 * baseline takes seconds, not a quarter of an hour; nothing else differs from production.
 * Alerting is the audit service's: each anomaly is an `anomaly.detected` audit event, and the
 * ANOMALY rule turns it into a stored alert, a signed webhook and a live `alerts` event.
 */
describe('anomaly detection', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let bus: EventBus;
  let alertsOfB: EventSubscription<{ id: string }>;
  let liveClient: Client;
  const liveOfA: Array<{ data?: { alerts: AlertView }; errors?: unknown }> = [];
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let webhookSecret: string;
  let started: Date;

  beforeAll(async () => {
    stack = await startTestStack({
      monitoring: {
        requestMetrics: { bucketSeconds: 1, flushIntervalMs: 0 },
        anomalies: { bucketSeconds: 1, intervalMs: 0, settleMs: 0, warmupBuckets: 4, minRequests: 1 },
      },
      // The webhook receiver is local: loopback is refused to webhooks unless allowed.
      alerting: { webhookAllowedPrivateRanges: ['127.0.0.1/32'] },
    });
    // Polls and drives volume on purpose: a minute's burst, so the gateway's burst limit (tested in
    // gateway/test/rate-limit.test.ts) does not pace this test.
    [a, b] = await Promise.all([stack.createTenant({ limits: { costBurst: 60_000 } }), stack.createTenant({ limits: { costBurst: 60_000 } })]);
    const adminA = await a.token('admin');
    // A's admin has a webhook and a live `alerts` subscription through the gateway; B is watched on its raw topic.
    receiver = await startWebhookReceiver();
    webhookSecret = expectNoErrors(
      await stack.query<{ setAlertWebhook: { secret: string } }>(adminA, 'mutation($url: String!) { setAlertWebhook(url: $url) { secret } }', { url: receiver.url }),
    ).setAlertWebhook.secret;
    liveClient = createClient({ url: stack.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${adminA}` }, retryAttempts: 0 });
    liveClient.subscribe<{ alerts: AlertView }>(
      { query: `subscription { alerts { ${alertFields} } }` },
      { next: (result) => liveOfA.push(result as (typeof liveOfA)[number]), error: (error) => liveOfA.push({ errors: error }), complete: () => undefined },
    );
    bus = createEventBus(stack.config.redis);
    alertsOfB = bus.subscribe<{ id: string }>(b.id, 'alerts');
    await alertsOfB.ready;

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
    await liveClient?.dispose();
    await alertsOfB?.return?.();
    await bus?.close();
    await receiver?.close();
    await stack?.stop();
  });

  const range = () => ({ from: new Date(started.getTime() - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });
  const anomaliesOf = async (tenant: TestTenant, variables: Record<string, unknown> = range()) =>
    expectNoErrors(await stack.query<{ anomalies: AnomalyView[] }>(await tenant.token('viewer'), anomaliesQuery, variables)).anomalies;
  const alertsOf = async (tenant: TestTenant) => expectNoErrors(await stack.query<{ alerts: AlertView[] }>(await tenant.token('admin'), alertsQuery)).alerts;
  /** The tenant's `anomaly.detected` events, through `auditEvents` (every page). */
  async function anomalyEventsOf(tenant: TestTenant): Promise<AuditEventView[]> {
    const token = await tenant.token('admin');
    const events: AuditEventView[] = [];
    for (let after: string | null = null; ; ) {
      type Page = { auditEvents: { edges: Array<{ node: AuditEventView }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
      const page: Page = expectNoErrors(await stack.query<Page>(token, anomalyEventsQuery, { after }));
      events.push(...page.auditEvents.edges.map((edge) => edge.node));
      if (!page.auditEvents.pageInfo.hasNextPage) return events;
      after = page.auditEvents.pageInfo.endCursor;
    }
  }
  const detailsOf = (event: AuditEventView) => JSON.parse(event.details) as AnomalyEventDetails;

  it("flags A's burst of errors as ERROR_RATE anomalies, each an anomaly.detected audit event of the detector", async () => {
    const anomalies = await anomaliesOf(a);
    const errorRate = anomalies.filter((x) => x.metric === 'ERROR_RATE');
    expect(errorRate.length).toBeGreaterThanOrEqual(1);
    for (const anomaly of errorRate) {
      expect(anomaly.observed).toBeGreaterThan(0.5);
      expect(anomaly.expected).toBeLessThan(0.1);
      expect(anomaly.score).toBeGreaterThanOrEqual(anomaly.threshold);
      expect(new Date(anomaly.windowEnd).getTime() - new Date(anomaly.windowStart).getTime()).toBe(1000);
      expect(anomaly.summary).toMatch(/^ERROR_RATE: /);
    }

    // One audit event per anomaly, committed with it, by the detector (never the viewer whose query ran the pass).
    const events = await anomalyEventsOf(a);
    expect(events.map((e) => detailsOf(e).anomalyId).sort()).toEqual(anomalies.map((x) => x.id).sort());
    for (const event of events) {
      const anomaly = anomalies.find((x) => x.id === detailsOf(event).anomalyId)!;
      expect(event).toMatchObject({ actorSubject: 'system:anomaly-detection', actorRoles: [], action: 'anomaly.detected', targetType: 'Metric', targetId: anomaly.metric, outcome: 'SUCCESS' });
      expect(detailsOf(event)).toEqual({
        anomalyId: anomaly.id,
        metric: anomaly.metric,
        // The event keeps six significant digits (a fixed number of decimals fails for values ≥ 100).
        observed: closeToSignificant(anomaly.observed),
        expected: closeToSignificant(anomaly.expected),
        score: closeToSignificant(anomaly.score),
        threshold: anomaly.threshold,
        windowStart: anomaly.windowStart,
        windowEnd: anomaly.windowEnd,
      });
    }
  });

  it("raises one ANOMALY alert for A's admin: stored, sent to the webhook signed, and live on the alerts subscription", async () => {
    const anomalies = await anomaliesOf(a);
    const events = await anomalyEventsOf(a);
    const alerts = (await alertsOf(a)).filter((x) => x.rule === 'ANOMALY');
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    // The burst's anomalies were committed by one pass, within one window: the first of them fired the alert.
    const alert = alerts.at(-1)!;
    expect(alert).toMatchObject({ status: 'OPEN', threshold: 1, observed: 1 });
    const firing = events.find((e) => e.sequence === alert.lastSequence)!;
    expect(firing.action).toBe('anomaly.detected');
    expect(anomalyIdIn(alert.summary)).toBe(detailsOf(firing).anomalyId);
    const fired = anomalies.find((x) => x.id === detailsOf(firing).anomalyId)!;
    expect(alert.summary).toMatch(new RegExp(`^ANOMALY: 1 within \\d+s \\(threshold 1\\)\\. ${fired.metric} observed `));

    const delivery = await eventually('the webhook delivery', () => receiver.received.find((d) => (JSON.parse(d.body) as { alert: { id: string } }).alert.id === alert.id));
    expect(signedWith(webhookSecret, delivery)).toBe(true);
    expect(JSON.parse(delivery.body)).toMatchObject({ type: 'alert.fired', tenantId: a.id, alert: { id: alert.id, rule: 'ANOMALY', summary: alert.summary } });

    const live = await eventually('the live alert', () => liveOfA.find((m) => m.errors !== undefined || m.data?.alerts.id === alert.id));
    expect(live).toEqual({ data: { alerts: alert } });
    expect(liveOfA.filter((m) => m.errors !== undefined)).toEqual([]);
  });

  it('judges each bucket once: running detection again neither duplicates anomalies, nor their events, nor alerts', async () => {
    const first = await anomaliesOf(a, { ...range(), metric: 'ERROR_RATE' });
    const eventsBefore = await anomalyEventsOf(a);
    const alertsBefore = (await alertsOf(a)).filter((x) => x.rule === 'ANOMALY');
    const again = await anomaliesOf(a, { ...range(), metric: 'ERROR_RATE' });
    expect(again.map((x) => x.id)).toEqual(first.map((x) => x.id));
    expect(new Set(first.map((x) => x.windowStart)).size).toBe(first.length);
    // Whatever else the later passes may judge, the ERROR_RATE buckets' events and their alert stay single.
    const ids = new Set(first.map((x) => x.id));
    const errorEvents = (events: AuditEventView[]) => events.filter((e) => ids.has(detailsOf(e).anomalyId)).map((e) => e.sequence);
    const eventsAfter = await anomalyEventsOf(a);
    expect(errorEvents(eventsAfter)).toEqual(errorEvents(eventsBefore));
    expect(errorEvents(eventsAfter)).toHaveLength(first.length);
    const alertsAfter = (await alertsOf(a)).filter((x) => x.rule === 'ANOMALY');
    expect(alertsAfter.filter((x) => ids.has(anomalyIdIn(x.summary) ?? ''))).toEqual(alertsBefore.filter((x) => ids.has(anomalyIdIn(x.summary) ?? '')));
    expect(new Set(receiver.received.map((d) => (JSON.parse(d.body) as { deliveryId: string }).deliveryId)).size).toBe(receiver.received.length);
  });

  it("B, whose traffic stayed healthy, sees none of A's anomalies, events or alerts, whatever handle it tries", async () => {
    const ofA = await anomaliesOf(a);
    const alertsOfA = await alertsOf(a);
    for (const role of ['viewer', 'data_scientist', 'admin'] as const) {
      const token = await b.token(role);
      const { anomalies } = expectNoErrors(await stack.query<{ anomalies: AnomalyView[] }>(token, anomaliesQuery, range()));
      expect(anomalies.filter((x) => x.metric === 'ERROR_RATE')).toEqual([]);
      expect(anomalies.some((x) => ofA.some((y) => y.id === x.id))).toBe(false);
      const filtered = expectNoErrors(await stack.query<{ anomalies: AnomalyView[] }>(token, anomaliesQuery, { ...range(), metric: 'ERROR_RATE' }));
      expect(filtered.anomalies).toEqual([]);
    }
    // B's trail and alerts hold B's own detections at most: nothing of A's, no error anomaly.
    const ofB = await anomaliesOf(b);
    const eventsOfB = await anomalyEventsOf(b);
    expect(eventsOfB.map((e) => detailsOf(e).anomalyId).sort()).toEqual(ofB.map((x) => x.id).sort());
    expect(eventsOfB.filter((e) => e.targetId === 'ERROR_RATE')).toEqual([]);
    const storedOfB = await alertsOf(b);
    expect(storedOfB.filter((x) => alertsOfA.some((y) => y.id === x.id) || ofA.some((y) => x.summary.includes(y.id)))).toEqual([]);
    const adminB = await b.token('admin');
    for (const filter of [{ targetId: 'ERROR_RATE' }, { action: 'anomaly.detected', targetType: 'Metric' }, { actor: 'system:anomaly-detection' }]) {
      const page = expectNoErrors(
        await stack.query<{ auditEvents: { edges: Array<{ node: { details: string } }> } }>(
          adminB,
          'query($filter: AuditEventFilter) { auditEvents(filter: $filter, first: 100) { edges { node { details } } } }',
          { filter },
        ),
      );
      expect(page.auditEvents.edges.filter((edge) => ofA.some((x) => edge.node.details.includes(x.id)))).toEqual([]);
    }
    // A's alert ids are NOT_FOUND for B, exactly like ids that never existed, and A's alerts stay untouched.
    for (const alert of alertsOfA) {
      expect(errorCodes(await stack.query(adminB, 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: alert.id }))).toEqual(['NOT_FOUND']);
    }
    expect(errorCodes(await stack.query(adminB, 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }', { id: randomUUID() }))).toEqual(['NOT_FOUND']);
    expect((await alertsOf(a)).filter((x) => x.status !== 'OPEN')).toEqual([]);
    // Nothing of A's reached B's topic: a marker published after all of the above closes what B could have received.
    const marker = `marker-${Date.now()}`;
    await bus.publish(b.id, 'alerts', { id: marker });
    const received = await drainUntil(alertsOfB, marker);
    expect(received.filter((x) => alertsOfA.some((y) => y.id === x.id))).toEqual([]);
  });

  /**
   * The other sources, seeded in C's own tables the way their writers leave them (audit events of
   * reads; the models service's per-minute inference rows): a steady past, then one spike each.
   */
  it('flags a burst of data reads (audit trail) and a jump in inference errors (inference stats)', async () => {
    const c = await stack.createTenant({ limits: { costBurst: 60_000 } });
    const db = stack.platform.runtime.db;
    const now = Date.now();
    const second = Math.floor(now / 1000) * 1000;
    const reads: Array<[number, number]> = [];
    for (let s = 60; s >= 11; s--) reads.push([second - s * 1000, 2]);
    reads.push([second - 10_000, 40]);
    // The same rows in the same order as one statement (140 round trips before).
    const readRows = reads.flatMap(([at, count]) => Array.from({ length: count }, (_, i) => [randomUUID(), new Date(at + i), randomUUID()]));
    await db.query(
      `INSERT INTO \`${c.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json)
       VALUES ${readRows.map(() => "(?, ?, 'reader', 'viewer', 'dataset.read', 'Dataset', ?, 'SUCCESS', '{}')").join(', ')}`,
      readRows.flat(),
    );
    const minute = Math.floor(now / 60_000) * 60_000;
    const modelId = randomUUID();
    const versionId = randomUUID();
    // 0–2 failures in 100 calls a minute, then 70: one statement.
    const statRows = Array.from({ length: 39 }, (_, k) => 40 - k).map((m) => [versionId, modelId, new Date(minute - m * 60_000), m === 2 ? 70 : m % 3]);
    await db.query(
      `INSERT INTO \`${c.schema}\`.inference_stats (model_version_id, model_id, minute, calls, row_count, errors, latency_ms_sum, latency_ms_max) VALUES ${statRows.map(() => '(?, ?, ?, 100, 100, ?, 300, 5)').join(', ')}`,
      statRows.flat(),
    );
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

  /**
   * Exact numbers through the whole path (request_metrics → per-minute rate → model → stored anomaly
   * → query and audit event), for a series computed by hand. Warm-up (4 buckets of 1 s): 10, 12, 8, 10
   * requests, i.e. 600, 720, 480, 600 per minute: mean 600, population variance 7 200. Then 20
   * requests, 10 of them failed:
   * - REQUEST_RATE 1 200/min: spread √7 200 ≈ 84.85 (above the floors 5 and 10% of 600), score 600/√7 200 ≈ 7.07;
   * - ERROR_RATE 0.5 after four clean buckets: no variance, so the spread is the floor 0.05, score 10.
   * All requests took under 5 ms, so LATENCY_P95 stays far below its 100 ms minimum.
   */
  it('stores and answers the hand-computed numbers of a seeded series', async () => {
    const e = await stack.createTenant({ limits: { costBurst: 60_000 } });
    const db = stack.platform.runtime.db;
    const second = Math.floor(Date.now() / 1000) * 1000;
    const buckets: Array<[number, number, number]> = [
      [second - 9_000, 10, 0],
      [second - 8_000, 12, 0],
      [second - 7_000, 8, 0],
      [second - 6_000, 10, 0],
      [second - 5_000, 20, 10],
    ];
    for (const [at, requests, failed] of buckets) {
      await db.query(
        `INSERT INTO \`${e.schema}\`.request_metrics (bucket_start, op_type, op_name, requests, errors, latency_ms_sum, latency_ms_max, lat_0_5) VALUES (?, 'QUERY', 'Seeded', ?, ?, ?, 3, ?)`,
        [new Date(at), requests, failed, requests * 2, requests],
      );
    }
    const anomalies = expectNoErrors(
      await stack.query<{ anomalies: Array<AnomalyView & { deviation: number }> }>(
        await e.token('viewer'),
        anomaliesQuery.replace('expected score', 'expected deviation score'),
        { from: new Date(second - 60_000).toISOString(), to: new Date(second).toISOString() },
      ),
    ).anomalies;
    const spike = new Date(second - 5_000).toISOString();
    expect(anomalies.map((x) => [x.metric, x.windowStart]).sort()).toEqual([
      ['ERROR_RATE', spike],
      ['REQUEST_RATE', spike],
    ]);
    const rate = anomalies.find((x) => x.metric === 'REQUEST_RATE')!;
    expect(rate).toMatchObject({ observed: 1200, threshold: 4, windowEnd: new Date(second - 4_000).toISOString() });
    expect(rate.expected).toBeCloseTo(600, 9);
    expect(rate.deviation).toBeCloseTo(Math.sqrt(7200), 9);
    expect(rate.score).toBeCloseTo(600 / Math.sqrt(7200), 9);
    expect(rate.summary).toBe(`REQUEST_RATE: 1200 requests/min between ${spike} and ${rate.windowEnd}, expected 600 ± 84.9 (score 7.1, threshold 4).`);
    const errorRate = anomalies.find((x) => x.metric === 'ERROR_RATE')!;
    expect(errorRate).toMatchObject({ observed: 0.5, expected: 0, deviation: 0.05, threshold: 4 });
    expect(errorRate.score).toBeCloseTo(10, 9);
    // The audit events carry the same numbers (six significant digits).
    const details = (await anomalyEventsOf(e)).map(detailsOf);
    expect(details.find((d) => d.metric === 'REQUEST_RATE')).toMatchObject({ observed: 1200, expected: 600, score: 7.07107, threshold: 4, windowStart: spike });
    expect(details.find((d) => d.metric === 'ERROR_RATE')).toMatchObject({ observed: 0.5, expected: 0, score: 10, threshold: 4, windowStart: spike });
  });

  it("the background pass judges every active tenant without anyone asking; audit alerting's own sweep raises the alert", async () => {
    const d = await stack.createTenant({ limits: { costBurst: 60_000 } });
    const db = stack.platform.runtime.db;
    const second = Math.floor(Date.now() / 1000) * 1000;
    // One a second for 25 s, then 30 in one second: one statement, in that order.
    const at = [...Array.from({ length: 25 }, (_, k) => second - (30 - k) * 1000), ...Array.from({ length: 30 }, (_, i) => second - 5000 + i)];
    await db.query(
      `INSERT INTO \`${d.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json)
       VALUES ${at.map(() => "(?, ?, 'reader', 'viewer', 'model.download', 'ModelVersion', ?, 'SUCCESS', '{}')").join(', ')}`,
      at.flatMap((time) => [randomUUID(), new Date(time), randomUUID()]),
    );
    const alertsOfD = bus.subscribe<AlertView>(d.id, 'alerts');
    await alertsOfD.ready;
    const runtime = stack.platform.runtime;
    const engine = new AnomalyEngine({
      db: runtime.db,
      scopes: runtime.scopes,
      tenants: runtime.tenants,
      logger: runtime.logger,
      config: anomalyDetectionConfig({ bucketSeconds: 1, intervalMs: 100, settleMs: 0, warmupBuckets: 4, minRequests: 1 }),
      // The data reads come through the audit port, on the audit service's own account, as in the platform.
      ports: stack.platform.ports,
    });
    engine.start();
    try {
      // Nobody queries D: the detector's sweep writes the event, the audit service's periodic evaluation fires and publishes.
      let alert: AlertView | undefined;
      while (!alert) {
        const next = await alertsOfD.next();
        if (next.done) throw new Error("D's alerts topic ended");
        if (next.value.rule === 'ANOMALY') alert = next.value;
      }
      expect(alert.summary).toMatch(/^ANOMALY: 1 within \d+s \(threshold 1\)\. DATA_READS observed 1800, /);
      const rows = (await db.query(`SELECT id, metric, window_start FROM \`${d.schema}\`.anomalies`)) as Array<{ id: string; metric: string; window_start: Date }>;
      expect(rows.map((r) => [r.id, r.metric, new Date(r.window_start).getTime()])).toEqual([[anomalyIdIn(alert.summary), 'DATA_READS', second - 5000]]);
      // The alert that went out is the one stored for D.
      expect((await alertsOf(d)).filter((x) => x.rule === 'ANOMALY')).toEqual([alert].map(({ id, rule, status, threshold, observed, firstSequence, lastSequence, summary }) => ({ id, rule, status, threshold, observed, firstSequence, lastSequence, summary })));
    } finally {
      await engine.stop();
      await alertsOfD.return?.();
    }
  });

  /**
   * Each `anomalies` field (an operation may alias it twenty times) asks for a pass of its tenant.
   * A pass that is still waiting to start judges everything settled by the time it starts, so later
   * askers join it instead of queueing one pass each behind the tenant's others — which the
   * background sweep, visiting tenants one after another, would otherwise wait out.
   */
  it("joins a tenant's waiting pass instead of queueing another: twenty concurrent askers cost at most two passes", async () => {
    const f = await stack.createTenant();
    const runtime = stack.platform.runtime;
    const audit = stack.platform.ports.audit;
    let passes = 0;
    const engine = new AnomalyEngine({
      db: runtime.db,
      scopes: runtime.scopes,
      tenants: runtime.tenants,
      logger: runtime.logger,
      config: anomalyDetectionConfig({ bucketSeconds: 1, intervalMs: 0, settleMs: 0, warmupBuckets: 4, minRequests: 1 }),
      // F has no data reads: every pass asks the audit port where that series starts, once.
      ports: {
        models: stack.platform.ports.models,
        audit: {
          dataReadSeries: (actor, input) => audit.dataReadSeries(actor, input),
          dataReadSeriesStart: (actor, input) => {
            passes += 1;
            return audit.dataReadSeriesStart(actor, input);
          },
        },
      },
    });
    try {
      const scope = await runtime.scopes.forPrincipal(detectorPrincipal(f.id));
      const results = await Promise.all(Array.from({ length: 20 }, () => engine.runFor(scope)));
      expect(results.every((created) => Array.isArray(created))).toBe(true);
      expect(passes).toBeGreaterThanOrEqual(1);
      expect(passes).toBeLessThanOrEqual(2);
      // Once they have settled, the next asker gets a pass of its own.
      const before = passes;
      await engine.runFor(scope);
      expect(passes).toBe(before + 1);
    } finally {
      await engine.stop();
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

/** Equal to `value` within what keeping six significant digits (and one more of slack) can change. */
function closeToSignificant(value: number) {
  return expect.closeTo(value, Math.max(0, 4 - Math.floor(Math.log10(Math.abs(value) || 1))));
}
