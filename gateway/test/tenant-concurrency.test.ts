import type { IncomingMessage, ServerResponse } from 'node:http';
import { createConnection } from 'mysql2/promise';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { databaseTlsOptions, quoteIdentifier } from '@tessera/tenancy';
import { TenantConcurrency } from '../src/pipeline/tenant-concurrency';

jest.setTimeout(60_000);

const datasetsPage = '{ datasets(first: 5) { edges { node { id } } } }';

/**
 * Per-tenant operation slots at the gateway: at most `maxConcurrentOperations` of a tenant's
 * operations reach the subgraphs at once, the rest wait in the tenant's own queue, and other
 * tenants do not wait behind that queue.
 *
 * To hold operations "in flight" deterministically, the test locks the tenant's `datasets` table in
 * MariaDB from a separate connection: each datasets query that reaches the subgraph blocks there
 * until the lock is released, while the test counts the requests open at the datasets subgraph.
 */
describe('per-tenant operation slots (maxConcurrentOperations)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.stop());

  /** Counts the requests open at the datasets subgraph, and the most seen at once. */
  function watchDatasetsSubgraph() {
    const server = stack.platform.subgraphs.datasets.server;
    const seen = { open: 0, max: 0 };
    const onRequest = (_req: IncomingMessage, res: ServerResponse) => {
      seen.open += 1;
      seen.max = Math.max(seen.max, seen.open);
      res.once('close', () => (seen.open -= 1));
    };
    server.on('request', onRequest);
    return { seen, stop: () => server.off('request', onRequest) };
  }

  /** Locks the tenant's datasets table (one connection of the migrator account) until the returned function is called. */
  async function lockDatasets(tenant: TestTenant): Promise<() => Promise<void>> {
    const connection = await createConnection({ uri: stack.migrator.adminUrl, ...databaseTlsOptions(stack.migrator.tlsCa) });
    await connection.query(`LOCK TABLES ${quoteIdentifier(tenant.schema)}.datasets WRITE`);
    return async () => {
      await connection.query('UNLOCK TABLES');
      await connection.end();
    };
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('a tenant with 2 slots never has more than 2 operations at the subgraph; the rest wait and are answered; another tenant is answered meanwhile', async () => {
    const [busy, other] = await Promise.all([stack.createTenant({ limits: { maxConcurrentOperations: 2 } }), stack.createTenant()]);
    const [busyToken, otherToken] = await Promise.all([busy.token('viewer'), other.token('viewer')]);
    const watch = watchDatasetsSubgraph();
    const unlock = await lockDatasets(busy);
    let settled = 0;
    let answers: Array<Promise<GraphQLResponse<unknown>>> = [];
    try {
      answers = Array.from({ length: 6 }, () => stack.query(busyToken, datasetsPage).finally(() => (settled += 1)));
      await until(() => watch.seen.open === 2, 'two of the tenant\'s operations to reach the subgraph');
      // Give the four others every chance to get through: they must not.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(watch.seen.max).toBe(2);
      expect(stack.platform.gateway.operationsInFlight(busy.id)).toEqual({ running: 2, waiting: 4 });
      // The other four wait at the gateway; the other tenant's operation passes them all.
      expect(expectNoErrors(await stack.query<{ datasets: { edges: unknown[] } }>(otherToken, datasetsPage)).datasets.edges).toEqual([]);
      expect(settled).toBe(0);
    } finally {
      await unlock();
    }
    const responses = await Promise.all(answers);
    watch.stop();
    expect(responses.map(errorCodes)).toEqual(Array.from({ length: 6 }, () => []));
    // The other tenant's one request came on top of the busy tenant's two: never more than three at once.
    expect(watch.seen.max).toBeLessThanOrEqual(3);
  });

  it('the default lets 4 run at once (the positive control: slots do not serialise everything)', async () => {
    const tenant = await stack.createTenant();
    const token = await tenant.token('viewer');
    const watch = watchDatasetsSubgraph();
    const unlock = await lockDatasets(tenant);
    let answers: Array<Promise<GraphQLResponse<unknown>>> = [];
    try {
      answers = Array.from({ length: 8 }, () => stack.query(token, datasetsPage));
      await until(() => watch.seen.open === 4, 'four operations at the subgraph');
    } finally {
      await unlock();
    }
    expect((await Promise.all(answers)).map(errorCodes)).toEqual(Array.from({ length: 8 }, () => []));
    watch.stop();
    expect(watch.seen.max).toBe(4);
  });

  it('a full queue (16 waiting per slot) is RATE_LIMITED at once, naming maxConcurrentOperations; what was queued is still answered', async () => {
    const tenant = await stack.createTenant({ limits: { maxConcurrentOperations: 1 } });
    const token = await tenant.token('viewer');
    const watch = watchDatasetsSubgraph();
    const unlock = await lockDatasets(tenant);
    let queued: Array<Promise<GraphQLResponse<unknown>>> = [];
    try {
      queued = [stack.query(token, datasetsPage)];
      await until(() => watch.seen.open === 1, 'the first operation at the subgraph');
      queued.push(...Array.from({ length: 16 }, () => stack.query(token, datasetsPage)));
      // Let the 16 reach the queue before the ones that overflow it.
      await until(() => stack.platform.gateway.operationsInFlight(tenant.id).waiting === 16, 'sixteen operations waiting');
      const overflow = await Promise.all(Array.from({ length: 3 }, () => stack.query(token, datasetsPage)));
      for (const response of overflow) {
        expect({ status: response.status, codes: errorCodes(response) }).toEqual({ status: 429, codes: ['RATE_LIMITED'] });
        expect(response.errors?.[0]?.extensions).toMatchObject({ limit: 'maxConcurrentOperations', limitValue: 1, retryAfterSeconds: 1 });
      }
    } finally {
      await unlock();
    }
    expect((await Promise.all(queued)).map(errorCodes)).toEqual(Array.from({ length: 17 }, () => []));
    watch.stop();
    expect(watch.seen.max).toBe(1);
    expect(stack.platform.gateway.operationsInFlight(tenant.id)).toEqual({ running: 0, waiting: 0 });
  });

  it('a client that gives up while its call waits for a slot leaves no slot taken (POST /graphql, GET /graphql, POST /v1/predict), and the abandoned predict is never run', async () => {
    const tenant = await stack.createTenant({ limits: { maxConcurrentOperations: 1 } });
    const token = await tenant.token('admin');
    const watch = watchDatasetsSubgraph();
    const predicts = { seen: 0 };
    const onModelsRequest = (req: IncomingMessage) => {
      if (req.url?.startsWith('/internal/predict')) predicts.seen += 1;
    };
    stack.platform.subgraphs.models.server.on('request', onModelsRequest);
    const unlock = await lockDatasets(tenant);
    let holder: Promise<GraphQLResponse<unknown>> | undefined;
    try {
      holder = stack.query(token, datasetsPage);
      await until(() => watch.seen.open === 1, 'the slot holder at the subgraph');
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const abandoned = [
        { method: 'POST', url: stack.graphqlUrl, body: JSON.stringify({ query: datasetsPage }) },
        { method: 'GET', url: `${stack.graphqlUrl}?query=${encodeURIComponent(datasetsPage)}`, body: undefined },
        { method: 'POST', url: `${stack.gatewayUrl}/v1/predict`, body: JSON.stringify({ modelName: 'nothing-here', alias: 'production', inputs: [] }) },
      ];
      for (const [index, request] of abandoned.entries()) {
        const controller = new AbortController();
        const sent = fetch(request.url, { method: request.method, headers: request.method === 'GET' ? { ...headers, 'apollo-require-preflight': 'true' } : headers, body: request.body, signal: controller.signal }).catch((error: unknown) => error);
        // The calls abandoned before it still wait in the queue: each is only dropped when it gets the slot.
        await until(() => stack.platform.gateway.operationsInFlight(tenant.id).waiting === index + 1, `the ${request.method} ${request.url} call waiting for the slot`);
        controller.abort();
        await sent;
      }
    } finally {
      await unlock();
    }
    expect(errorCodes(await holder!)).toEqual([]);
    // Each abandoned call got the slot in turn and gave it back at once.
    await until(() => stack.platform.gateway.operationsInFlight(tenant.id).running === 0, 'every slot given back');
    expect(stack.platform.gateway.operationsInFlight(tenant.id)).toEqual({ running: 0, waiting: 0 });
    expect(errorCodes(await stack.query(token, datasetsPage))).toEqual([]);
    stack.platform.subgraphs.models.server.off('request', onModelsRequest);
    watch.stop();
    expect(predicts.seen).toBe(0);
  });

  it('slots are given back on every path: refused and failing operations leave none taken', async () => {
    const tenant = await stack.createTenant({ limits: { maxConcurrentOperations: 1 } });
    const token = await tenant.token('viewer');
    // Unknown field (Apollo's validation), a resolver error (unknown id), and an answer: one after another on one slot.
    expect(errorCodes(await stack.query(token, '{ datasets(first: 5) { edges { node { noSuchField } } } }'))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const admin = await tenant.token('admin');
    expect(errorCodes(await stack.query(admin, 'mutation { deleteDataset(id: "00000000-0000-0000-0000-000000000000") { id } }'))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await stack.query(token, datasetsPage))).toEqual([]);
    expect(stack.platform.gateway.operationsInFlight(tenant.id)).toEqual({ running: 0, waiting: 0 });
  });
});

describe('TenantConcurrency', () => {
  it('hands a released slot to the first waiter, times waiters out with RATE_LIMITED, and forgets idle tenants', async () => {
    const slots = new TenantConcurrency({ maxWaitMs: 50, waitingPerSlot: 2 });
    const first = await slots.acquire('a', 1);
    const order: string[] = [];
    const second = slots.acquire('a', 1).then((release) => {
      order.push('second');
      return release;
    });
    const third = slots.acquire('a', 1).then((release) => {
      order.push('third');
      return release;
    });
    await expect(slots.acquire('a', 1)).rejects.toMatchObject({ code: 'RATE_LIMITED' }); // 2 waiting per slot
    // Another tenant has its own slots.
    (await slots.acquire('b', 1))();
    first();
    first(); // twice: harmless
    (await second)();
    (await third)();
    expect(order).toEqual(['second', 'third']);
    expect(slots.inFlight('a')).toEqual({ running: 0, waiting: 0 });
    // A waiter that waits too long is refused, and leaves nothing behind.
    const held = await slots.acquire('c', 1);
    await expect(slots.acquire('c', 1)).rejects.toMatchObject({ code: 'RATE_LIMITED', extensions: { limit: 'maxConcurrentOperations' } });
    held();
    expect(slots.inFlight('c')).toEqual({ running: 0, waiting: 0 });
  });
});
