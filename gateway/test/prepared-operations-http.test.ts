import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createConnection } from 'mysql2/promise';
import { databaseTlsOptions, quoteIdentifier } from '@tessera/tenancy';
import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { CollectedSubscription, connectSubscriptions } from './subscriptions-support';
import { expectRefused } from './support';

jest.setTimeout(120_000);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const datasetsPage = '{ datasets(first: 5) { edges { node { id name } } } }';

/**
 * Prepared operations through HTTP: documents named by their SHA-256 (APQ, documentId), parsed,
 * measured, validated and planned once, a single-fetch plan answered from the subgraph's body —
 * and every per-request step of the pipeline still applied on that path, for every tenant.
 */
describe('prepared operations and persisted documents at the gateway', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let acmeToken: string;
  let globexToken: string;
  // The tenants of the per-tenant tests below, each with the limits its test is about, made with
  // acme and globex at once rather than one by one as each test starts (making a tenant is most of
  // such a test's time). Each is used by its one test only, so its budget is untouched until then.
  const ownLimits = {
    small: { costPerMinute: 60, costBurst: 6 },
    tight: { maxOperationDepth: 3, maxOperationCost: 40 },
    tightCost: { maxOperationCost: 40 },
    limited: { costPerMinute: 12, costBurst: 12 },
    busy: { maxConcurrentOperations: 1 },
    counted: undefined,
    tightSubscriber: { maxOperationDepth: 1 },
  };
  const tenantOf = {} as Record<keyof typeof ownLimits, TestTenant>;

  beforeAll(async () => {
    stack = await startTestStack({ monitoring: { requestMetrics: { flushIntervalMs: 0 } } });
    const names = Object.keys(ownLimits) as Array<keyof typeof ownLimits>;
    const made = await Promise.all([
      stack.createTenant({ limits: { costBurst: 60_000 } }),
      stack.createTenant(),
      ...names.map((name) => {
        const limits = ownLimits[name];
        return limits ? stack.createTenant({ limits }) : stack.createTenant();
      }),
    ]);
    [acme, globex] = made as [TestTenant, TestTenant];
    names.forEach((name, i) => (tenantOf[name] = made[i + 2]!));
    [acmeToken, globexToken] = await Promise.all([acme.token('admin'), globex.token('viewer')]);
    expectNoErrors(await stack.query(acmeToken, 'mutation { createDataset(input: { name: "prepared-one" }) { id } }'));
  });
  afterAll(() => stack?.stop());

  async function post(token: string | undefined, body: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse<Record<string, unknown>> & { status: number; text: string }> {
    const response = await fetch(stack.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { ...(JSON.parse(text) as GraphQLResponse<Record<string, unknown>>), status: response.status, text };
  }

  /** GET /graphql with the operation in the URL (a custom header passes Apollo's CSRF check). */
  async function get(token: string | undefined, params: Record<string, string>): Promise<GraphQLResponse<Record<string, unknown>> & { status: number }> {
    const response = await fetch(`${stack.graphqlUrl}?${new URLSearchParams(params).toString()}`, {
      headers: { 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    return { ...((await response.json()) as GraphQLResponse<Record<string, unknown>>), status: response.status };
  }

  /** Counts the requests the datasets subgraph receives while `run` runs. */
  async function datasetsCalls<T>(run: () => Promise<T>): Promise<{ result: T; calls: number }> {
    let calls = 0;
    const count = (_req: IncomingMessage, _res: ServerResponse) => (calls += 1);
    const server = stack.platform.subgraphs.datasets.server;
    server.on('request', count);
    try {
      return { result: await run(), calls };
    } finally {
      server.off('request', count);
    }
  }

  it('APQ: an unknown hash is PERSISTED_QUERY_NOT_FOUND, the text registers it, then the hash alone runs it (also as documentId)', async () => {
    const query = '{ datasets(first: 3) { edges { node { name } } } }';
    const persistedQuery = { version: 1, sha256Hash: sha256(query) };
    const missing = await post(acmeToken, { extensions: { persistedQuery } });
    expect([missing.status, errorCodes(missing)]).toEqual([200, ['PERSISTED_QUERY_NOT_FOUND']]);
    const registered = await post(acmeToken, { query, extensions: { persistedQuery } });
    expect(registered.data).toEqual({ datasets: { edges: [{ node: { name: 'prepared-one' } }] } });
    expect((await post(acmeToken, { extensions: { persistedQuery } })).data).toEqual(registered.data);
    expect((await post(acmeToken, { documentId: `sha256:${persistedQuery.sha256Hash}` })).data).toEqual(registered.data);
    // A hash that is not the text's: refused, nothing registered under it.
    const lie = await post(acmeToken, { query: '{ currentTenant { id } }', extensions: { persistedQuery } });
    expectRefused(lie, 400, 'BAD_REQUEST');
  });

  it('APQ and documentId over GET: the hash in the URL runs the document as on POST, for its own tenant only', async () => {
    const query = '{ datasets(first: 2) { edges { node { name } } } }';
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });
    const missing = await get(acmeToken, { extensions });
    expect([missing.status, errorCodes(missing)]).toEqual([200, ['PERSISTED_QUERY_NOT_FOUND']]);
    const registered = await get(acmeToken, { query, extensions });
    expect([registered.status, errorCodes(registered), registered.data]).toEqual([200, [], { datasets: { edges: [{ node: { name: 'prepared-one' } }] } }]);
    const byHash = await get(acmeToken, { extensions });
    expect([byHash.status, errorCodes(byHash), byHash.data]).toEqual([200, [], registered.data]);
    const byId = await get(acmeToken, { documentId: `sha256:${sha256(query)}` });
    expect([byId.status, errorCodes(byId), byId.data]).toEqual([200, [], registered.data]);
    // Registered over GET for acme only.
    const other = await get(globexToken, { extensions });
    expect([other.status, errorCodes(other), other.data ?? null]).toEqual([200, ['PERSISTED_QUERY_NOT_FOUND'], null]);
    // A persisted mutation is still no GET operation.
    const mutation = 'mutation { removeAlertWebhook }';
    expect(errorCodes(await post(acmeToken, { query: mutation, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(mutation) } } }))).toEqual([]);
    const refused = await get(acmeToken, { extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha256(mutation) } }) });
    expect(refused.status).toBe(405);
  });

  it('an unknown hash costs one cost unit, not the refusal fee: an APQ client on a small budget is not paced by its first requests', async () => {
    const small = tenantOf.small;
    const token = await small.token('viewer');
    const query = '{ currentTenant { id } }'; // 2 units
    const persistedQuery = { version: 1, sha256Hash: sha256(query) };
    for (let i = 0; i < 3; i++) expect(errorCodes(await post(token, { extensions: { persistedQuery } }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(errorCodes(await post(token, { query, extensions: { persistedQuery } }))).toEqual([]);
  });

  it("tenant B can neither run nor detect tenant A's registered document by its hash", async () => {
    const query = '{ datasets(first: 4) { edges { node { id } } } }';
    const persistedQuery = { version: 1, sha256Hash: sha256(query) };
    expectNoErrors(await post(acmeToken, { query, extensions: { persistedQuery } }));
    expect(errorCodes(await post(acmeToken, { extensions: { persistedQuery } }))).toEqual([]);
    const other = await post(globexToken, { extensions: { persistedQuery } });
    expect([other.status, errorCodes(other), other.data ?? null]).toEqual([200, ['PERSISTED_QUERY_NOT_FOUND'], null]);
    // Once B sends the text, B runs it on B's own data.
    const own = await post(globexToken, { query, extensions: { persistedQuery } });
    expect(own.data).toEqual({ datasets: { edges: [] } });
  });

  it('a prepared single-fetch query is answered from one subgraph call, with what Apollo answers', async () => {
    const first = await post(acmeToken, { query: datasetsPage }); // prepared and planned through Apollo
    const before = stack.platform.gateway.preparedStats();
    const { result: fast, calls } = await datasetsCalls(() => post(acmeToken, { query: datasetsPage }));
    const after = stack.platform.gateway.preparedStats();
    expect(after.singleFetchAnswered).toBe(before.singleFetchAnswered + 1);
    expect(calls).toBe(1);
    expect(fast.status).toBe(200);
    expect(JSON.parse(fast.text)).toEqual(JSON.parse(first.text));
    expect(fast.data).toMatchObject({ datasets: { edges: [{ node: { name: 'prepared-one' } }] } });
  });

  it("a subgraph error on the fast path is Apollo's answer, from the same single subgraph call", async () => {
    const query = '{ dataset(id: "00000000-0000-4000-8000-000000000000") { id name } }';
    const viaApollo = await post(acmeToken, { query });
    const before = stack.platform.gateway.preparedStats();
    const { result: again, calls } = await datasetsCalls(() => post(acmeToken, { query }));
    expect(stack.platform.gateway.preparedStats().singleFetchHandedToApollo).toBe(before.singleFetchHandedToApollo + 1);
    expect(calls).toBe(1);
    expect(errorCodes(viaApollo)).toEqual(['NOT_FOUND']);
    expect({ status: again.status, data: again.data ?? null, errors: again.errors?.map((e) => ({ message: e.message, code: e.extensions?.['code'], path: e.path })) }).toEqual({
      status: viaApollo.status,
      data: viaApollo.data ?? null,
      errors: viaApollo.errors?.map((e) => ({ message: e.message, code: e.extensions?.['code'], path: e.path })),
    });
  });

  it('invalid variables of a prepared operation are refused by Apollo before any subgraph call', async () => {
    const query = 'query Page($n: Int) { datasets(first: $n) { edges { node { id } } } }';
    expectNoErrors(await post(acmeToken, { query, variables: { n: 2 } }));
    expectNoErrors(await post(acmeToken, { query, variables: { n: 2 } }));
    const { result, calls } = await datasetsCalls(() => post(acmeToken, { query, variables: { n: 'two' } }));
    expect([calls, errorCodes(result)]).toEqual([0, ['BAD_USER_INPUT']]);
  });

  describe('every per-request step still runs on the prepared path', () => {
    it('authentication: a prepared document, by text or by hash, without a token is UNAUTHENTICATED', async () => {
      const persistedQuery = { version: 1, sha256Hash: sha256(datasetsPage) };
      expectNoErrors(await post(acmeToken, { query: datasetsPage, extensions: { persistedQuery } }));
      expectRefused(await post(undefined, { query: datasetsPage }), 401, 'UNAUTHENTICATED');
      expectRefused(await post(undefined, { extensions: { persistedQuery } }), 401, 'UNAUTHENTICATED');
    });

    it("operation limits: a document prepared by one tenant is refused for a tenant with tighter limits, no subgraph called; the variable-sized cost is measured per request", async () => {
      const tight = tenantOf.tight;
      const token = await tight.token('viewer');
      expectNoErrors(await post(acmeToken, { query: datasetsPage }));
      const { result: deep, calls } = await datasetsCalls(() => post(token, { query: datasetsPage }));
      expectRefused(deep, 400, 'QUERY_TOO_COMPLEX');
      expect(deep.errors?.[0]?.extensions).toMatchObject({ limit: 'maxOperationDepth', limitValue: 3, measured: 4 });
      expect(calls).toBe(0);
      const sized = 'query Page($n: Int) { currentTenant { id } datasets(first: $n) { edges { node { id } } } }';
      const tightCost = tenantOf.tightCost;
      const costToken = await tightCost.token('viewer');
      expectNoErrors(await post(costToken, { query: sized, variables: { n: 2 } }));
      expectNoErrors(await post(costToken, { query: sized, variables: { n: 2 } }));
      const costly = await post(costToken, { query: sized, variables: { n: 500 } });
      expectRefused(costly, 400, 'QUERY_TOO_COMPLEX');
      expect(costly.errors?.[0]?.extensions).toMatchObject({ limit: 'maxOperationCost' });
    });

    it('rate limit in cost units: a prepared operation is charged every time (RATE_LIMITED, 429)', async () => {
      const limited = tenantOf.limited;
      const token = await limited.token('viewer');
      const query = '{ currentTenant { id } }'; // 2 units
      const persistedQuery = { version: 1, sha256Hash: sha256(query) };
      expectNoErrors(await post(token, { query, extensions: { persistedQuery } }));
      const codes: string[][] = [];
      for (let i = 0; i < 6; i++) codes.push(errorCodes(await post(token, { extensions: { persistedQuery } })));
      expect(codes.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => []));
      expect(codes[5]).toEqual(['RATE_LIMITED']);
      // Another tenant, same document, same moment: answered.
      expect(errorCodes(await post(globexToken, { query }))).toEqual([]);
    });

    it('operation slots: no more than maxConcurrentOperations prepared operations of a tenant reach the subgraph', async () => {
      const busy = tenantOf.busy;
      const token = await busy.token('viewer');
      expectNoErrors(await post(token, { query: datasetsPage }));
      expectNoErrors(await post(token, { query: datasetsPage }));
      const connection = await createConnection({ uri: stack.migrator.adminUrl, ...databaseTlsOptions(stack.migrator.tlsCa) });
      await connection.query(`LOCK TABLES ${quoteIdentifier(busy.schema)}.datasets WRITE`);
      const server = stack.platform.subgraphs.datasets.server;
      const seen = { open: 0, max: 0 };
      const onRequest = (_req: IncomingMessage, res: ServerResponse) => {
        seen.open += 1;
        seen.max = Math.max(seen.max, seen.open);
        res.once('close', () => (seen.open -= 1));
      };
      server.on('request', onRequest);
      let answers: Array<Promise<unknown>> = [];
      try {
        answers = Array.from({ length: 3 }, () => post(token, { query: datasetsPage }));
        const deadline = Date.now() + 20_000;
        while (seen.open < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(stack.platform.gateway.operationsInFlight(busy.id)).toEqual({ running: 1, waiting: 2 });
        expect(seen.max).toBe(1);
      } finally {
        await connection.query('UNLOCK TABLES');
        await connection.end();
      }
      const results = (await Promise.all(answers)) as Array<GraphQLResponse<unknown>>;
      server.off('request', onRequest);
      expect(results.map(errorCodes)).toEqual([[], [], []]);
      expect(seen.max).toBe(1);
    });

    it('an API key limited to some root fields is refused another prepared operation (FORBIDDEN)', async () => {
      const account = expectNoErrors(
        await stack.query<{ createServiceAccount: { id: string } }>(acmeToken, 'mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id } }', { input: { name: 'prepared-bot', role: 'VIEWER' } }),
      ).createServiceAccount;
      const key = expectNoErrors(
        await stack.query<{ createApiKey: { secret: string } }>(acmeToken, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }', { input: { serviceAccountId: account.id, operations: ['currentTenant'] } }),
      ).createApiKey.secret;
      expectNoErrors(await post(acmeToken, { query: datasetsPage }));
      expectRefused(await post(key, { query: datasetsPage }), 403, 'FORBIDDEN');
      expect(errorCodes(await post(key, { query: '{ currentTenant { id } }' }))).toEqual([]);
    });

    it('GET: a # in the request target cannot make Apollo run another operation than the one the pipeline admitted (API key fields, cost)', async () => {
      const account = expectNoErrors(
        await stack.query<{ createServiceAccount: { id: string } }>(acmeToken, 'mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id } }', { input: { name: 'fragment-bot', role: 'VIEWER' } }),
      ).createServiceAccount;
      const key = expectNoErrors(
        await stack.query<{ createApiKey: { secret: string } }>(acmeToken, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }', { input: { serviceAccountId: account.id, operations: ['currentTenant'] } }),
      ).createApiKey.secret;
      // fetch drops a URL's fragment, so the target is sent as it is on a socket of its own. Before
      // the '#' the pipeline and Apollo read the same; after it only the pipeline read on, and took
      // operationName=X (allowed, one unit) while Apollo ran P, the only operation it saw.
      const target = `/graphql?query=${encodeURIComponent(`query P ${datasetsPage}`)}#${encodeURIComponent('\nquery X { currentTenant { id } }')}&operationName=X`;
      const raw = async (token: string) =>
        new Promise<{ status: number; body: GraphQLResponse<Record<string, unknown>> }>((resolve, reject) => {
          const request = httpsRequest(`${stack.gatewayUrl}/`, { path: target, ca: stack.pki.ca, headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } }, (reply) => {
            let text = '';
            reply.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
            reply.on('end', () => resolve({ status: reply.statusCode ?? 0, body: JSON.parse(text) as GraphQLResponse<Record<string, unknown>> }));
          });
          request.on('error', reject);
          request.end();
        });
      for (const token of [key, acmeToken]) {
        const answer = await raw(token);
        expect({ status: answer.status, codes: errorCodes(answer.body), data: answer.body.data }).toEqual({ status: 200, codes: [], data: { currentTenant: { id: acme.id } } });
      }
    });

    it('request metrics count the fast path like any other request', async () => {
      const counted = tenantOf.counted;
      const token = await counted.token('viewer');
      const since = new Date(Date.now() - 60_000).toISOString();
      for (let i = 0; i < 3; i++) expectNoErrors(await post(token, { query: 'query Counted { datasets(first: 2) { edges { node { id } } } }' }));
      await stack.platform.gateway.flushRequestMetrics();
      const metrics = expectNoErrors(
        await stack.query<{ requestMetrics: { operations: Array<{ operationType: string; operationName: string; requests: number; errors: number }> } }>(
          token,
          'query M($from: DateTime!, $to: DateTime!) { requestMetrics(from: $from, to: $to) { operations { operationType operationName requests errors } } }',
          { from: since, to: new Date(Date.now() + 60_000).toISOString() },
        ),
      );
      expect(metrics.requestMetrics.operations).toContainEqual({ operationType: 'QUERY', operationName: 'Counted', requests: 3, errors: 0 });
    });

    it('WebSocket subscribe: a document prepared for one tenant is still held to another tenant’s limits', async () => {
      const query = 'subscription Events { jobEvents { jobId } }';
      const tight = tenantOf.tightSubscriber;
      const roomy = connectSubscriptions(stack.graphqlUrl, { authorization: `Bearer ${acmeToken}` });
      const narrow = connectSubscriptions(stack.graphqlUrl, { authorization: `Bearer ${await tight.token('viewer')}` });
      try {
        await Promise.all([roomy.connected, narrow.connected]);
        const open = new CollectedSubscription(roomy.client, { query });
        await new Promise((resolve) => setTimeout(resolve, 200));
        const ended = await new CollectedSubscription(narrow.client, { query }).ended;
        expect(ended.kind).toBe('error');
        expect((ended as { error: Array<{ extensions?: Record<string, unknown> }> }).error[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'maxOperationDepth' });
        open.stop();
      } finally {
        await Promise.all([roomy.dispose(), narrow.dispose()]);
      }
    });
  });
});
