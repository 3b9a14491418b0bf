import { Redis } from 'ioredis';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { CollectedSubscription, connectSubscriptions, sleep, type TestSubscriptionClient } from './subscriptions-support';

interface OperationRow {
  operationType: string;
  operationName: string;
  requests: number;
  errors: number;
}
interface Metrics {
  requestMetrics: { total: { requests: number; errors: number; errorsByCode: Array<{ code: string; requests: number }> }; operations: OperationRow[] };
}
const metricsQuery = `query($from: DateTime!, $to: DateTime!, $type: OperationType) {
  requestMetrics(from: $from, to: $to, operationType: $type) {
    total { requests errors errorsByCode { code requests } }
    operations { operationType operationName requests errors }
  }
}`;

/**
 * WebSocket subscriptions count in the tenant's request metrics like HTTP requests: one per
 * subscribe when it ends, typed SUBSCRIPTION (INVALID when it does not parse or validate), with
 * the codes of the errors the client got, whether the gateway or the subgraph refused it.
 */
describe('request metrics of subscriptions', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let redis: Redis;
  const clients: TestSubscriptionClient[] = [];
  let range: { from: string; to: string };

  beforeAll(async () => {
    stack = await startTestStack({ monitoring: { requestMetrics: { flushIntervalMs: 0 } } });
    [acme, globex] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    redis = new Redis(stack.config.redis.url);
    range = { from: new Date(Date.now() - 60_000).toISOString(), to: new Date(Date.now() + 10 * 60_000).toISOString() };
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    redis?.disconnect();
    await stack?.stop();
  });

  const connect = async (tenant: TestTenant, role: 'viewer' | 'admin') => {
    const connection = connectSubscriptions(stack.graphqlUrl, { authorization: `Bearer ${await tenant.token(role)}` });
    clients.push(connection);
    return connection;
  };
  const subscribersOf = async (tenant: TestTenant) =>
    Number(((await redis.pubsub('NUMSUB', `${stack.config.redis.keyPrefix}:tenant:${tenant.id}:jobs`)) as [string, number])[1]);

  it('counts accepted, refused and invalid subscriptions per operation, with their error codes', async () => {
    const viewer = await connect(acme, 'viewer');
    // Accepted: live until the client completes it.
    const watch = new CollectedSubscription(viewer.client, { query: 'subscription Watch { jobEvents { jobId status } }' });
    while ((await subscribersOf(acme)) === 0) await sleep(50);
    watch.stop();
    while ((await subscribersOf(acme)) > 0) await sleep(50);
    // Refused by the subgraph: a viewer may not follow alerts.
    const alerts = new CollectedSubscription(viewer.client, { query: 'subscription Alerts { alerts { id } }' });
    await alerts.ended;
    expect(alerts.results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
    // Refused by the subgraph's input check.
    const progress = new CollectedSubscription(viewer.client, { query: 'subscription Progress { jobProgress(jobId: "not-a-uuid") { jobId } }' });
    await progress.ended;
    // Refused by the gateway: does not parse; not a subscription.
    const broken = new CollectedSubscription(viewer.client, { query: 'subscription Broken { jobEvents {' });
    const query = new CollectedSubscription(viewer.client, { query: 'query Usage { tenantUsage { datasets } }' });
    await Promise.all([broken.ended, query.ended]);
    await viewer.dispose();

    await stack.platform.gateway.flushRequestMetrics();
    const admin = await acme.token('admin');
    const subscriptions = expectNoErrors(await stack.query<Metrics>(admin, metricsQuery, { ...range, type: 'SUBSCRIPTION' })).requestMetrics;
    const byName = Object.fromEntries(subscriptions.operations.map((o) => [o.operationName, { requests: o.requests, errors: o.errors }]));
    expect(byName).toEqual({ Watch: { requests: 1, errors: 0 }, Alerts: { requests: 1, errors: 1 }, Progress: { requests: 1, errors: 1 } });
    expect(subscriptions.total.errorsByCode).toEqual([
      { code: 'BAD_USER_INPUT', requests: 1 },
      { code: 'FORBIDDEN', requests: 1 },
    ]);
    const invalid = expectNoErrors(await stack.query<Metrics>(admin, metricsQuery, { ...range, type: 'INVALID' })).requestMetrics;
    expect(invalid.total).toMatchObject({ requests: 2, errors: 2 });
    expect(invalid.total.errorsByCode).toEqual([
      { code: 'BAD_REQUEST', requests: 1 },
      { code: 'GRAPHQL_PARSE_FAILED', requests: 1 },
    ]);
  });

  it("a socket closed with subscriptions open counts them; another tenant's metrics never include them", async () => {
    const viewer = await connect(globex, 'viewer');
    const open = new CollectedSubscription(viewer.client, { query: 'subscription StillOpen { jobEvents { jobId } }' });
    while ((await subscribersOf(globex)) === 0) await sleep(50);
    await viewer.dispose();
    while ((await subscribersOf(globex)) > 0) await sleep(50);
    expect(open.results).toEqual([]);

    await stack.platform.gateway.flushRequestMetrics();
    const ofGlobex = expectNoErrors(await stack.query<Metrics>(await globex.token('admin'), metricsQuery, { ...range, type: 'SUBSCRIPTION' })).requestMetrics;
    expect(ofGlobex.operations.map((o) => [o.operationName, o.requests])).toEqual([['StillOpen', 1]]);
    const ofAcme = expectNoErrors(await stack.query<Metrics>(await acme.token('admin'), metricsQuery, { ...range, type: 'SUBSCRIPTION' })).requestMetrics;
    expect(ofAcme.operations.map((o) => o.operationName).sort()).toEqual(['Alerts', 'Progress', 'Watch']);
  });
});
