import { generateKeyPair, SignJWT } from 'jose';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { parseDetails } from '@tessera/audit-client';
import { errorCodes, expectNoErrors, postGraphQL, startTestStack, testAudience, withAuditDetails, type TestStack, type TestTenant } from '@tessera/testing';
import { DataSource } from 'typeorm';
import type { LogFields, Logger } from '@tessera/config';
import { attachRegionDatabases } from '../../../packages/tenancy/src/tenant-databases';
import { AlertEngine } from '../src/domain/alert-engine';
import { defaultAlertingConfig } from '../src/domain/alerting-config';
import { createAuditRelay } from '../src/domain/audit-event-relay';
import { ChainActivity } from '../src/domain/chain-activity';
import { createWebhookAddressPolicy } from '../src/domain/webhook-address-policy';
import { createWebhookTransport } from '../src/domain/webhook-transport';
import { verifyWebhookSignature } from '../src/domain/webhook-signature';
import { chainOf, datasetWithVersion, eventually, newDataset, securityEvents, startWebhookReceiver, type ReceivedWebhook } from './audit-events-helpers';

const alertFields = 'id rule status threshold observed windowStart windowEnd firstSequence lastSequence summary acknowledgedAt acknowledgedBy deliveries { id status attempts lastOutcome lastStatus lastError deliveredAt }';
const alertsQuery = `query($status: AlertStatus) { alerts(status: $status) { ${alertFields} } }`;
const setWebhook = `mutation($url: String!) { setAlertWebhook(url: $url) { url secret createdAt } }`;
const setRule = `mutation($input: AlertRuleInput!) { setAlertRule(input: $input) { kind threshold enabled isDefault windowSeconds } }`;

/**
 * The first retry's delay (each later one doubles it). Shorter than the platform's 1 s so the tests
 * that wait out retries wait a quarter as long; every retry test counts attempts, not time.
 */
const webhookBackoffBaseMs = 250;

interface AlertNode {
  id: string;
  rule: string;
  status: string;
  threshold: number;
  observed: number;
  firstSequence: number;
  lastSequence: number;
  summary: string;
  acknowledgedBy: string | null;
  deliveries: Array<{ id: string; status: string; attempts: number; lastOutcome: string | null; lastStatus: number | null; lastError: string | null; deliveredAt: string | null }>;
}

describe('alerting: thresholds crossed by real requests fire alerts, signed webhooks and live events', () => {
  let stack: TestStack;
  let redis: Redis;
  const receivers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    // The receivers are local (127.0.0.1), which the webhook address policy refuses unless the
    // operator allows it: this stack allows exactly that one address (webhook-ssrf.test.ts runs the default).
    stack = await startTestStack({ alerting: { webhookAllowedPrivateRanges: ['127.0.0.1/32'], webhookBackoffBaseMs } });
    redis = new Redis(stack.config.redis.url);
  });

  afterAll(async () => {
    for (const receiver of receivers) await receiver.close();
    redis?.disconnect();
    await stack?.stop();
  });

  /**
   * Another tenant's dataset, which the probing tenants ask for (their CROSS_TENANT_ATTEMPT fires).
   * One owner for every probe: the owner is what is probed, never the tenant under test, so
   * sharing it changes no test's tenant (and the owner must stay untold however often it is probed).
   */
  let probed: Promise<{ owner: TestTenant; datasetId: string }> | undefined;
  const probedDataset = () =>
    (probed ??= (async () => {
      const owner = await stack.createTenant();
      return { owner, datasetId: await newDataset(stack, await owner.token('admin'), 'not-yours') };
    })());

  /** A tenant with a webhook pointing at a fresh local receiver, and rule overrides. */
  async function alertingTenant(rules: Array<{ kind: string; threshold: number }>, failFirst = 0, answer?: Parameters<typeof startWebhookReceiver>[1]) {
    const tenant = await stack.createTenant();
    const admin = await tenant.token('admin');
    const receiver = await startWebhookReceiver(failFirst, answer);
    receivers.push(receiver);
    const { secret } = expectNoErrors(await stack.query<{ setAlertWebhook: { secret: string } }>(admin, setWebhook, { url: receiver.url })).setAlertWebhook;
    for (const rule of rules) expectNoErrors(await stack.query(admin, setRule, { input: { ...rule, enabled: true } }));
    return { tenant, admin, receiver, secret };
  }

  const alertsOf = async (admin: string, status?: string) => expectNoErrors(await stack.query<{ alerts: AlertNode[] }>(admin, alertsQuery, status ? { status } : {})).alerts;
  const waitForAlert = (admin: string, rule: string) =>
    eventually(`an ${rule} alert`, async () => (await alertsOf(admin)).find((alert) => alert.rule === rule));

  /** Checks a received delivery is authentic (HMAC over "t.body" with the tenant's secret, fresh) and about `alert`. */
  function expectAuthentic(delivery: ReceivedWebhook, secret: string, tenantId: string, alertId: string) {
    const check = verifyWebhookSignature(secret, delivery.body, delivery.headers['x-tessera-signature'] as string, Math.floor(Date.now() / 1000));
    expect(check).toEqual({ valid: true, timestamp: expect.any(Number) });
    expect(verifyWebhookSignature('whsec_wrong', delivery.body, delivery.headers['x-tessera-signature'] as string, Math.floor(Date.now() / 1000)).valid).toBe(false);
    // A replay far from the signed time is refused by the same check.
    expect(verifyWebhookSignature(secret, delivery.body, delivery.headers['x-tessera-signature'] as string, Math.floor(Date.now() / 1000) + 3600)).toEqual({ valid: false, reason: 'STALE' });
    const body = JSON.parse(delivery.body) as { type: string; tenantId: string; alert: { id: string } };
    expect(body).toMatchObject({ type: 'alert.fired', tenantId, alert: { id: alertId } });
  }

  async function forgedToken(tenantId: string): Promise<string> {
    const { privateKey } = await generateKeyPair('ES256');
    return new SignJWT({ tenant: tenantId, roles: ['admin'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'forged-key' })
      .setSubject('mallory')
      .setIssuer(stack.issuer.issuerUrl)
      .setAudience(testAudience)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  }

  it('AUTH_FAILURES: forged tokens naming the tenant fire one alert and one signed webhook', async () => {
    const { tenant, admin, receiver, secret } = await alertingTenant([{ kind: 'AUTH_FAILURES', threshold: 3 }]);
    for (let i = 0; i < 3; i++) expect(errorCodes(await postGraphQL(stack.graphqlUrl, await forgedToken(tenant.id), '{ datasets { edges { cursor } } }'))).toEqual(['UNAUTHENTICATED']);
    // The gateway writes the first failure of a minute at once and the rest as one summary when the minute ends; now, here.
    await stack.platform.gateway.flushAuthFailures();
    const alert = await waitForAlert(admin, 'AUTH_FAILURES');
    expect(alert).toMatchObject({ status: 'OPEN', threshold: 3, observed: 3 });
    const delivery = await eventually('the webhook delivery', async () => receiver.received[0]);
    expectAuthentic(delivery, secret, tenant.id, alert.id);
    expect(delivery.headers['x-tessera-delivery']).toBe(alert.deliveries[0]?.id);
    // The failures are in the tenant's log, marked unverified, and never a principal.
    const failures = (await chainOf(stack, tenant)).filter((event) => event.action === 'auth.failure');
    // The first failure as it happened, then one summary standing for the other two.
    const counts = await withAuditDetails(stack, tenant.id, (await stack.platform.runtime.db.query(`SELECT seq, details_json FROM \`${tenant.schema}\`.audit_events WHERE action = 'auth.failure' ORDER BY seq`)) as Array<{ seq: number; details_json: unknown }>);
    expect(counts.map((row) => ((typeof row.details_json === 'string' ? JSON.parse(row.details_json) : row.details_json) as { count?: unknown }).count)).toEqual([1, 2]);
    expect(failures).toHaveLength(2);
    expect(failures.every((event) => event.actor_subject === 'unverified:mallory')).toBe(true);

    // More failures within the same minute: still one alert (one per rule per window).
    for (let i = 0; i < 3; i++) await postGraphQL(stack.graphqlUrl, await forgedToken(tenant.id), '{ datasets { edges { cursor } } }');
    expect((await alertsOf(admin)).filter((a) => a.rule === 'AUTH_FAILURES')).toHaveLength(1);
  });

  it('retries a failing receiver with backoff: fails twice, then succeeds on the 3rd attempt', async () => {
    const { owner, datasetId: ownerDataset } = await probedDataset();
    const { tenant, admin, receiver, secret } = await alertingTenant([], 2);
    const probe = await tenant.token('viewer');
    expect(errorCodes(await stack.query(probe, 'query($id: ID!) { dataset(id: $id) { id name } }', { id: ownerDataset }))).toEqual(['NOT_FOUND']);

    const alert = await waitForAlert(admin, 'CROSS_TENANT_ATTEMPT');
    expect(alert).toMatchObject({ threshold: 1, observed: 1 });
    await eventually('three delivery attempts', async () => (receiver.received.length >= 3 ? true : undefined));
    expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 200]);
    const ids = new Set(receiver.received.map((r) => r.headers['x-tessera-delivery']));
    expect(ids.size).toBe(1);
    for (const attempt of receiver.received) expectAuthentic(attempt, secret, tenant.id, alert.id);
    const delivered = await eventually('the delivery to be recorded', async () => {
      const [current] = (await alertsOf(admin)).filter((a) => a.id === alert.id);
      return current?.deliveries[0]?.status === 'DELIVERED' ? current.deliveries[0] : undefined;
    });
    expect(delivered).toMatchObject({ attempts: 3, lastOutcome: 'DELIVERED', lastStatus: null, lastError: null });
    // The owner is told nothing: no alert, no event about the other tenant's probe.
    expect(await alertsOf(await owner.token('admin'))).toEqual([]);
    expect((await chainOf(stack, owner)).some((event) => event.action === 'cross_tenant_attempt')).toBe(false);
  });

  it('a retry goes to the webhook as configured now: after a new URL, pending deliveries reach the new receiver signed with its secret, not the old one', async () => {
    const { datasetId: ownerDataset } = await probedDataset();
    // The old receiver never accepts: the delivery stays pending, retried with backoff.
    const { tenant, admin, receiver: old } = await alertingTenant([], 1_000);
    expect(errorCodes(await stack.query(await tenant.token('viewer'), 'query($id: ID!) { dataset(id: $id) { id } }', { id: ownerDataset }))).toEqual(['NOT_FOUND']);
    const alert = await waitForAlert(admin, 'CROSS_TENANT_ATTEMPT');
    await eventually('a failed first attempt', async () => (old.received.length >= 1 ? true : undefined));

    const replacement = await startWebhookReceiver();
    receivers.push(replacement);
    const { secret } = expectNoErrors(await stack.query<{ setAlertWebhook: { secret: string } }>(admin, setWebhook, { url: replacement.url })).setAlertWebhook;
    const delivery = await eventually('the retry at the new receiver', async () => replacement.received[0], 30_000);
    expectAuthentic(delivery, secret, tenant.id, alert.id);
    expect(new Set(old.received.map((r) => r.headers['x-tessera-delivery']))).toEqual(new Set([delivery.headers['x-tessera-delivery']]));
    await eventually('the delivery to be recorded', async () => ((await alertsOf(admin)).find((a) => a.id === alert.id)?.deliveries[0]?.status === 'DELIVERED' ? true : undefined));
    // Delivered: the old receiver hears nothing more (not within a retry after a 2nd or 3rd attempt, 2 and 4 × the base).
    const oldAttempts = old.received.length;
    await new Promise((resolve) => setTimeout(resolve, 6 * webhookBackoffBaseMs));
    expect(old.received).toHaveLength(oldAttempts);
  });

  it('DATA_READ_BURST: many reads of dataset content within a minute', async () => {
    const { tenant, admin, receiver, secret } = await alertingTenant([{ kind: 'DATA_READ_BURST', threshold: 3 }]);
    const scientist = await tenant.token('data_scientist');
    const { versionId } = await datasetWithVersion(stack, scientist, 'burst');
    expect(await alertsOf(admin)).toEqual([]);
    for (let i = 0; i < 3; i++) expectNoErrors(await stack.query(scientist, 'query($id: ID!) { datasetVersion(id: $id) { preview(limit: 1) { rows } } }', { id: versionId }));
    const alert = await waitForAlert(admin, 'DATA_READ_BURST');
    expect(alert.observed).toBe(3);
    expectAuthentic(await eventually('the webhook', async () => receiver.received[0]), secret, tenant.id, alert.id);
  });

  it('BULK_DELETION: deleting many objects within a minute; acknowledging closes the alert', async () => {
    const { tenant, admin, receiver, secret } = await alertingTenant([{ kind: 'BULK_DELETION', threshold: 2 }]);
    const ids = [await newDataset(stack, admin, 'doomed-1'), await newDataset(stack, admin, 'doomed-2')];
    for (const id of ids) expectNoErrors(await stack.query(admin, 'mutation($id: ID!) { deleteDataset(id: $id) { id } }', { id }));
    const alert = await waitForAlert(admin, 'BULK_DELETION');
    expect(alert.observed).toBe(2);
    expectAuthentic(await eventually('the webhook', async () => receiver.received[0]), secret, tenant.id, alert.id);

    const acked = expectNoErrors(await stack.query<{ acknowledgeAlert: AlertNode }>(admin, `mutation($id: ID!) { acknowledgeAlert(id: $id) { ${alertFields} } }`, { id: alert.id })).acknowledgeAlert;
    expect(acked.status).toBe('ACKNOWLEDGED');
    expect(acked.acknowledgedBy).toBeTruthy();
    expect(await alertsOf(admin, 'OPEN')).toEqual([]);
    expect((await alertsOf(admin, 'ACKNOWLEDGED')).map((a) => a.id)).toEqual([alert.id]);
  });

  it("MISATTRIBUTED_EVENT: an event of the datasets service's kind written by the metrics service's account fires, in that tenant only; the platform's own events do not", async () => {
    const { tenant, admin, receiver, secret } = await alertingTenant([]);
    const bystander = await alertingTenant([]);
    // Real work first (datasets, uploads, reads, by the services that record them): nothing fires.
    const { datasetId } = await datasetWithVersion(stack, admin, 'attributed');
    await datasetWithVersion(stack, bystander.admin, 'attributed');
    // A compromised metrics service writes a delete of that dataset in the datasets service's name.
    await stack.platform.runtimes.metrics.db.query(
      `INSERT INTO \`${tenant.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json) VALUES (UUID(), NOW(3), 'acme-admin', 'admin', 'dataset.delete', 'Dataset', ?, 'SUCCESS', '{}')`,
      [datasetId],
    );
    const alert = await waitForAlert(admin, 'MISATTRIBUTED_EVENT');
    expect(alert).toMatchObject({ observed: 1, threshold: 1 });
    expect(alert.firstSequence).toBe(alert.lastSequence);
    expect(alert.summary).toMatch(/"dataset\.delete" \(sequence \d+\) written by metrics, recorded only by datasets/);
    expectAuthentic(await eventually('the webhook', async () => receiver.received[0]), secret, tenant.id, alert.id);
    expect((await alertsOf(admin)).map((a) => a.rule)).toEqual(['MISATTRIBUTED_EVENT']);
    expect(await alertsOf(bystander.admin)).toEqual([]);
    // The platform's security log records it too, naming the writer and the kind's owner.
    const recorded = (await securityEvents(stack)).filter((e) => e.action === 'audit.misattributed_event' && e.tenant_id === tenant.id);
    expect(recorded.map((e) => ({ target: e.target_id, details: parseDetails(e.details_json) }))).toEqual([
      { target: String(alert.firstSequence), details: { sequence: alert.firstSequence, action: 'dataset.delete', writer: 'metrics', owner: 'datasets' } },
    ]);
  });

  it('MISATTRIBUTED_EVENT turned off by a tenant: no alert, but the platform security log still records the event written in another service\'s name', async () => {
    const { tenant, admin } = await alertingTenant([]);
    expectNoErrors(await stack.query(admin, setRule, { input: { kind: 'MISATTRIBUTED_EVENT', threshold: 1, enabled: false } }));
    const datasetId = await newDataset(stack, admin, 'quietly-forged');
    await stack.platform.runtimes.jobs.db.query(
      `INSERT INTO \`${tenant.schema}\`.audit_outbox (id, occurred_at, actor_subject, actor_roles, action, target_type, target_id, outcome, details_json) VALUES (UUID(), NOW(3), 'acme-admin', 'admin', 'Dataset.delete', 'Dataset', ?, 'SUCCESS', '{}')`,
      [datasetId],
    );
    const recorded = await eventually('the security log record', async () => {
      await alertsOf(admin);
      const found = (await securityEvents(stack)).filter((e) => e.action === 'audit.misattributed_event' && e.tenant_id === tenant.id);
      return found.length > 0 ? found : undefined;
    });
    expect(recorded.map((e) => parseDetails(e.details_json))).toEqual([{ sequence: expect.any(Number), action: 'Dataset.delete', writer: 'jobs', owner: null }]);
    expect(await alertsOf(admin)).toEqual([]);
  });

  it('delivers alerts live on the alerts subscription, to the tenant admin only', async () => {
    const { datasetId: ownerDataset } = await probedDataset();
    const tenant: TestTenant = await stack.createTenant();
    const admin = await tenant.token('admin');
    const received: Array<{ data?: { alerts?: { rule: string; observed: number } }; errors?: unknown }> = [];
    const client = createClient({ url: stack.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${admin}` }, retryAttempts: 0 });
    const viewerClient = createClient({
      url: stack.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${await tenant.token('viewer')}` },
      retryAttempts: 0,
    });
    const viewerOutcome = new Promise<unknown>((resolve) => {
      viewerClient.subscribe({ query: 'subscription { alerts { id } }' }, { next: resolve, error: resolve, complete: () => resolve('complete') });
    });
    try {
      const dispose = client.subscribe<{ alerts: { rule: string; observed: number } }>(
        { query: 'subscription { alerts { id rule observed status } }' },
        { next: (result) => received.push(result as (typeof received)[number]), error: (error) => received.push({ errors: error }), complete: () => undefined },
      );
      // The subscription must have reached the audit subgraph's Redis SUBSCRIBE before the event (a read of Redis' bookkeeping).
      const channel = `${stack.config.redis.keyPrefix}:tenant:${tenant.id}:alerts`;
      await eventually('the audit subgraph subscribed', async () => (Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]) > 0 ? true : undefined));
      expect(errorCodes(await stack.query(await tenant.token('viewer'), 'query($id: ID!) { dataset(id: $id) { id } }', { id: ownerDataset }))).toEqual(['NOT_FOUND']);
      await waitForAlert(admin, 'CROSS_TENANT_ATTEMPT');
      const event = await eventually('the live alert', async () => received.find((r) => r.data?.alerts));
      expect(event.data?.alerts).toMatchObject({ rule: 'CROSS_TENANT_ATTEMPT', observed: 1 });
      const denied = (await viewerOutcome) as { errors?: Array<{ extensions?: { code?: string } }> } | Array<{ extensions?: { code?: string } }>;
      const deniedErrors = Array.isArray(denied) ? denied : (denied.errors ?? []);
      expect(deniedErrors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      dispose();
    } finally {
      await client.dispose();
      await viewerClient.dispose();
    }
  });

  /** A viewer of `tenant` asks for another tenant's dataset: the tenant's CROSS_TENANT_ATTEMPT rule (threshold 1) fires. */
  async function probeAnotherTenant(tenant: TestTenant): Promise<void> {
    const { datasetId: ownerDataset } = await probedDataset();
    expect(errorCodes(await stack.query(await tenant.token('viewer'), 'query($id: ID!) { dataset(id: $id) { id } }', { id: ownerDataset }))).toEqual(['NOT_FOUND']);
  }

  /** The alert's first delivery, once an attempt has been recorded on it. */
  const attemptedDelivery = (admin: string, alertId: string) =>
    eventually('an attempt to be recorded', async () => {
      const [current] = (await alertsOf(admin)).filter((a) => a.id === alertId);
      return current?.deliveries[0]?.lastOutcome ? current.deliveries[0] : undefined;
    });

  it('does not follow a redirect, not even to an address the operator allows: the attempt failed', async () => {
    const target = await startWebhookReceiver();
    receivers.push(target);
    const locations = [`http://127.0.0.1:${target.port}/internal`, 'http://169.254.169.254/latest/meta-data/'];
    const { tenant, admin, receiver } = await alertingTenant([], 0, (index) => ({ status: 302, headers: { location: locations[index % 2]! } }));
    await probeAnotherTenant(tenant);
    const alert = await waitForAlert(admin, 'CROSS_TENANT_ATTEMPT');
    expect(await attemptedDelivery(admin, alert.id)).toMatchObject({ status: 'PENDING', lastOutcome: 'REDIRECT_NOT_FOLLOWED', lastStatus: null, lastError: expect.stringMatching(/redirects are not followed/) });
    // The retry is redirected to the metadata address: not followed either.
    await eventually('a second attempt', async () => (receiver.received.length >= 2 ? true : undefined));
    expect(target.received).toEqual([]);
  });

  it("never shows the receiver's answer to the tenant: not its body, headers or status code", async () => {
    const canary = 'CANARY-3c9e';
    const { tenant, admin, receiver } = await alertingTenant([], 0, () => ({
      status: 418,
      headers: { 'x-canary': canary, 'content-type': 'text/plain' },
      body: `${canary} redis_version:7.2.4\r\n-ERR unknown command 'POST'`,
    }));
    await probeAnotherTenant(tenant);
    const alert = await waitForAlert(admin, 'CROSS_TENANT_ATTEMPT');
    const delivery = await attemptedDelivery(admin, alert.id);
    expect(receiver.received.length).toBeGreaterThan(0);
    expect(delivery).toMatchObject({ status: 'PENDING', lastOutcome: 'HTTP_ERROR', lastStatus: null, lastError: 'The receiver answered with an error status (neither 2xx nor a redirect).' });
    const response = await stack.query<{ alerts: AlertNode[] }>(admin, `{ alerts { ${alertFields} } alertWebhook { url createdAt } }`);
    expect(JSON.stringify(response)).not.toMatch(/CANARY|redis_version|ERR unknown|teapot/i);
    for (const shown of expectNoErrors(response).alerts.flatMap((a) => a.deliveries)) expect(JSON.stringify([shown.lastOutcome, shown.lastStatus, shown.lastError])).not.toMatch(/418|4\d\d/);
  });

  it('opens exactly the allowed range: other loopback, private and metadata addresses are still refused when saved', async () => {
    const tenant = await stack.createTenant();
    const admin = await tenant.token('admin');
    for (const url of ['http://127.0.0.2:8080/x', 'http://[::1]:8080/x', 'http://[::ffff:127.0.0.2]/x', 'http://10.0.0.1/x', 'http://169.254.169.254/latest/meta-data/', 'http://metadata.google.internal/']) {
      const response = await stack.query(admin, setWebhook, { url });
      expect({ url, codes: errorCodes(response), field: response.errors?.[0]?.extensions?.['field'] }).toEqual({ url, codes: ['BAD_USER_INPUT'], field: 'url' });
    }
    expect(expectNoErrors(await stack.query<{ setAlertWebhook: { url: string } }>(admin, setWebhook, { url: 'http://127.0.0.1:9/x' })).setAlertWebhook.url).toBe('http://127.0.0.1:9/x');
  });

  it("tenant B's actions never reach tenant A's webhook, and each sees only its own deliveries", async () => {
    const a = await alertingTenant([]);
    const b = await alertingTenant([]);
    const aDataset = await newDataset(stack, a.admin, 'a-only');
    // B's viewer probes A's dataset: B's CROSS_TENANT_ATTEMPT fires and goes to B's webhook only.
    expect(errorCodes(await stack.query(await b.tenant.token('viewer'), 'query($id: ID!) { dataset(id: $id) { id } }', { id: aDataset }))).toEqual(['NOT_FOUND']);
    const bAlert = await waitForAlert(b.admin, 'CROSS_TENANT_ATTEMPT');
    const bDelivery = await eventually('B delivered', async () => {
      const [current] = (await alertsOf(b.admin)).filter((alert) => alert.id === bAlert.id);
      return current?.deliveries[0]?.status === 'DELIVERED' ? current.deliveries[0] : undefined;
    });
    expect(b.receiver.received.map((r) => r.headers['x-tessera-delivery'])).toEqual([bDelivery.id]);
    expect(a.receiver.received).toEqual([]);
    expect(await alertsOf(a.admin)).toEqual([]);
    // A cannot reach B's alert, nor through it B's deliveries.
    expect(errorCodes(await stack.query(a.admin, 'mutation($id: ID!) { acknowledgeAlert(id: $id) { id deliveries { id lastOutcome } } }', { id: bAlert.id }))).toEqual(['NOT_FOUND']);
    // ...and the attempt is A's cross_tenant_attempt, as for any other id of another tenant; B's alert stays open.
    expect((await chainOf(stack, a.tenant)).filter((event) => event.action === 'cross_tenant_attempt').map((event) => event.target_id)).toContain(bAlert.id);
    expect((await alertsOf(b.admin)).find((alert) => alert.id === bAlert.id)?.status).toBe('OPEN');
  });

  it('refuses bad alerting input with typed errors', async () => {
    const tenant = await stack.createTenant();
    const admin = await tenant.token('admin');
    for (const url of ['ftp://example.com/x', 'http://user:pw@example.com/x', 'not a url', `http://example.com/${'a'.repeat(2100)}`]) {
      expect(errorCodes(await stack.query(admin, setWebhook, { url }))).toEqual(['BAD_USER_INPUT']);
    }
    expect(expectNoErrors(await stack.query<{ alertWebhook: unknown }>(admin, '{ alertWebhook { url } }')).alertWebhook).toBeNull();
    for (const threshold of [0, -1, 2_000_000]) {
      expect(errorCodes(await stack.query(admin, setRule, { input: { kind: 'AUTH_FAILURES', threshold } }))).toEqual(['BAD_USER_INPUT']);
    }
    expect(errorCodes(await stack.query(admin, setRule, { input: { kind: 'EVERYTHING', threshold: 1 } }))).toEqual(['BAD_USER_INPUT']);
    const rules = expectNoErrors(await stack.query<{ alertRules: Array<{ kind: string; isDefault: boolean }> }>(admin, '{ alertRules { kind isDefault } }')).alertRules;
    expect(rules.every((rule) => rule.isDefault)).toBe(true);
    expect(errorCodes(await stack.query(admin, 'mutation { acknowledgeAlert(id: "nope") { id } }'))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await stack.query(admin, 'mutation { acknowledgeAlert(id: "00000000-0000-4000-8000-000000000000") { id } }'))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(admin, '{ alerts(first: 1000) { id } }'))).toEqual(['BAD_USER_INPUT']);
  });

  /**
   * Each `alerts` field (an operation may alias it twenty times) asks for an evaluation of its
   * tenant. One still waiting to start covers everything a later one would, so later askers join it
   * instead of queueing behind the tenant's others, which the sweep would wait out tenant by tenant.
   * A background evaluation skips a chain another relay holds, so it never stands in for a reader's.
   */
  it("joins a tenant's waiting evaluation instead of queueing another; a reader never joins a background one", async () => {
    const runtime = stack.platform.runtimes.audit;
    const { tenant } = await alertingTenant([]);
    const relay = createAuditRelay(runtime.db, runtime.keyring);
    const relayed: boolean[] = [];
    const engine = new AlertEngine({
      db: runtime.db,
      scopes: runtime.scopes,
      tenants: runtime.tenants,
      activity: new ChainActivity(),
      bus: runtime.events,
      logger: runtime.logger,
      config: defaultAlertingConfig,
      // Every evaluation drains the outbox first, once: counting drains counts evaluations.
      relay: (scope, options) => {
        relayed.push(options?.background ?? false);
        return relay(scope, options);
      },
      transport: createWebhookTransport(createWebhookAddressPolicy()),
    });
    try {
      const scope = await runtime.scopes.forPrincipal({ kind: 'user', subject: 'rv-reader', tenantId: tenant.id, roles: ['admin'], clientId: undefined, requestId: 'join-test', sourceIp: undefined });
      await Promise.all(Array.from({ length: 20 }, () => engine.runFor(scope)));
      expect(relayed.length).toBeGreaterThanOrEqual(1);
      expect(relayed.length).toBeLessThanOrEqual(2);
      relayed.length = 0;
      // One running, then a background one waiting: a reader queues its own behind it; a later background caller joins the reader's.
      const running = engine.runFor(scope);
      while (relayed.length === 0) await new Promise((resolve) => setImmediate(resolve));
      await Promise.all([running, engine.runFor(scope, true), engine.runFor(scope), engine.runFor(scope, true)]);
      expect(relayed).toEqual([false, true, false]);
    } finally {
      await engine.stop();
    }
  });

  it('a sweep whose control-plane query fails (tenants placed by region, the home pool closed) is logged; the engine keeps running', async () => {
    const runtime = stack.platform.runtimes.audit;
    // A home pool that is not open, routing one region to the real server: placing the tenants asks the closed one.
    const home = new DataSource(runtime.db.options);
    attachRegionDatabases(home, stack.config.database.controlSchema, new Map([['eu-west-1', runtime.db]]));
    const warnings: Array<{ message: string; fields: LogFields | undefined }> = [];
    const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (message, fields) => void warnings.push({ message, fields }), error: (message, fields) => void warnings.push({ message, fields }), child: () => logger };
    const engine = new AlertEngine({
      db: home,
      scopes: runtime.scopes,
      tenants: runtime.tenants,
      activity: new ChainActivity(),
      bus: runtime.events,
      logger,
      config: { ...defaultAlertingConfig, evaluationIntervalMs: 20, fullSweepIntervalMs: 50 },
      relay: createAuditRelay(runtime.db, runtime.keyring),
      transport: createWebhookTransport(createWebhookAddressPolicy()),
    });
    engine.start();
    try {
      // Several full sweeps fail in a row: each is logged, none escapes.
      const failed = () => warnings.filter((warning) => warning.message === 'alerting sweep failed').length;
      await eventually('three failed sweeps', async () => (failed() >= 3 ? failed() : undefined), 10_000);
      expect(warnings[0]).toEqual({ message: 'alerting sweep failed', fields: { error: expect.stringMatching(/not established|not initialized/i) } });
    } finally {
      await engine.stop();
    }
  });
});
