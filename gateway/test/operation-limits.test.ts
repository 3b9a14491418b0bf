import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { CollectedSubscription, connectSubscriptions, type TestSubscriptionClient } from './subscriptions-support';
import { expectRefused } from './support';

// Each file starts the real stack (issuer process, S3, MariaDB, six subgraphs, gateway): slow on a busy machine.
jest.setTimeout(120_000);

type Extensions = Record<string, unknown>;

/** A chain of `length` fragments on Tenant, each spreading the next `fanOut` times: its expansion is fanOut^length. */
function fragmentChain(length: number, fanOut: number, body = 'id'): string {
  let document = 'query Chain { currentTenant { ...F0 } }\n';
  for (let i = 0; i < length; i++) {
    const next = i + 1 < length ? Array.from({ length: fanOut }, () => `...F${i + 1}`).join(' ') : '';
    document += `fragment F${i} on Tenant { ${body} ${next} }\n`;
  }
  return document;
}

/** Introspection nested `levels` deep through `ofType` (the classic introspection depth attack). */
function deepIntrospection(levels: number): string {
  return `{ __schema { types { ${'ofType { '.repeat(levels)}name${' }'.repeat(levels)} } } }`;
}

function aliases(count: number, field = 'currentTenant { id }'): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
}

function directives(count: number): string {
  return `{ currentTenant { id ${'@include(if: true) '.repeat(count)} } }`;
}

function refusal(response: GraphQLResponse<unknown>): Extensions | undefined {
  return response.errors?.[0]?.extensions as Extensions | undefined;
}

describe('operation limits at the gateway (linear-time analysis, per tenant)', () => {
  let stack: TestStack;
  let quiet: TestTenant;
  let noisy: TestTenant;
  let noisyToken: string;
  // The tenants of the per-tenant tests below, each with the limits its test is about, made with
  // the first two at once rather than one by one as each test starts (making a tenant is most of
  // such a test's time). Each is used by its one test only, so its budget is untouched until then.
  const ownLimits = {
    tight: undefined,
    target: undefined,
    aliasing: { costPerMinute: 50 },
    long: { costPerMinute: 300, costBurst: 300 },
    spent: { costPerMinute: 4 },
    refusedDocuments: { costPerMinute: 1_000, costBurst: 1_000 },
    overMinute: { costPerMinute: 30 },
    transfers: { costPerMinute: 60 },
    subscribing: { costPerMinute: 15 },
  };
  const tenantOf = {} as Record<keyof typeof ownLimits, TestTenant>;

  beforeAll(async () => {
    stack = await startTestStack();
    // The noisy tenant may spend its whole minute at once, so every document of the flood below is
    // analysed and refused for its shape (refusals pay a fee: at the default burst the flood would
    // end in RATE_LIMITED on headers, which is tested on its own further down).
    const names = Object.keys(ownLimits) as Array<keyof typeof ownLimits>;
    const made = await Promise.all([
      stack.createTenant(),
      stack.createTenant({ limits: { costBurst: 60_000 } }),
      ...names.map((name) => {
        const limits = ownLimits[name];
        return limits ? stack.createTenant({ limits }) : stack.createTenant();
      }),
    ]);
    [quiet, noisy] = made as [TestTenant, TestTenant];
    names.forEach((name, i) => (tenantOf[name] = made[i + 2]!));
    noisyToken = await noisy.token('viewer');
  });
  afterAll(() => stack?.stop());

  const adversarial: Array<[string, () => string, string]> = [
    ['a chain of 30 fragments, each spreading the next 3 times (3^30 fields once expanded)', () => fragmentChain(30, 3), 'maxOperationCost'],
    ['a chain of 200 fragments, each spreading the next twice', () => fragmentChain(200, 2), 'maxOperationCost'],
    ['fragments fanning out aliases (each of 12 levels spreads the next 4 times under an alias)', () => fragmentChain(12, 4, 'x: id'), 'maxOperationAliases'],
    ['introspection nested 40 levels deep', () => deepIntrospection(40), 'maxOperationDepth'],
    ['2 000 aliases', () => aliases(2_000), 'maxOperationTokens'],
    ['5 000 directives', () => directives(5_000), 'maxOperationTokens'],
    ['10 000 fields', () => `{ currentTenant { ${'id '.repeat(10_000)}} }`, 'maxOperationTokens'],
    ['40 aliased root fields', () => aliases(40), 'maxOperationAliases'],
    ['25 root fields', () => `{ ${'currentTenant { id } '.repeat(25)}}`, 'maxOperationRootFields'],
    ['60 directives', () => directives(60), 'maxOperationDirectives'],
    ['a page of 10 000 datasets', () => '{ datasets(first: 10000) { edges { node { id name } } } }', 'maxOperationCost'],
    ['200 predictions in one request', () => aliases(200, 'predict(input: { modelName: "m", version: 1, inputs: [] }) { batchSize }'), 'maxOperationAliases'],
    // Depth counts fields; Apollo's planner recurses through fragment levels too (1 600 overflowed its stack: a 500).
    ['1 600 inline fragments nested in one another around one field', () => `{ currentTenant { ${'... { '.repeat(1_600)}id${' }'.repeat(1_600)} } }`, 'maxSelectionNesting'],
    ['a chain of 100 fragments, each spreading the next once', () => fragmentChain(100, 1), 'maxSelectionNesting'],
    // A custom scalar (DateTime) takes any literal; the planner walked a nested list in 2^depth.
    ['a list nested 20 levels in a DateTime argument', () => `{ accessReport(from: ${'['.repeat(20)}1${']'.repeat(20)}, to: "2026-01-01T00:00:00Z") { __typename } }`, 'maxValueNesting'],
    // Validation compares every two copies and what is under them: ~300 ms of CPU per request, cheap in cost units.
    ['one field with a selection repeated 300 times at one place', () => `{ currentTenant { ${'limits { costBurst } '.repeat(300)}} }`, 'maxFieldMergePairs'],
  ];

  it.each(adversarial)('%s → QUERY_TOO_COMPLEX (400) naming the limit, its value and the measured value, no subgraph called', async (_label, document, limit) => {
    // Every subgraph server counts the requests it receives while the document is refused.
    let subgraphRequests = 0;
    const count = () => (subgraphRequests += 1);
    const servers = Object.values(stack.platform.subgraphs).map((subgraph) => subgraph.server);
    servers.forEach((server) => server.on('request', count));
    let response: GraphQLResponse<unknown>;
    let refusedReached: number;
    try {
      response = await stack.query(noisyToken, document());
      refusedReached = subgraphRequests;
      // The counter sees what does reach a subgraph: an accepted query right after is counted.
      expect(errorCodes(await stack.query(noisyToken, '{ currentTenant { id } }'))).toEqual([]);
    } finally {
      servers.forEach((server) => server.off('request', count));
    }
    expect(refusedReached).toBe(0);
    expect(subgraphRequests).toBeGreaterThan(0);
    expectRefused(response, 400, 'QUERY_TOO_COMPLEX');
    const extensions = refusal(response)!;
    expect(extensions['limit']).toBe(limit);
    expect(typeof extensions['limitValue']).toBe('number');
    expect(extensions['measured'] as number).toBeGreaterThan(extensions['limitValue'] as number);
    expect(response.errors?.[0]?.message).toContain(limit);
  });

  it('while one tenant floods the gateway with every adversarial document, another tenant keeps being answered', async () => {
    const quietToken = await quiet.token('viewer');
    const documents = adversarial.map(([, document]) => document());
    // The documents that froze the gateway before are sent 5 times each, 4 at a time; meanwhile
    // the quiet tenant asks one question after another. Order of events is what is asserted.
    const events: string[] = [];
    let flooding = true;
    const flood = (async () => {
      const queue = Array.from({ length: 5 }, () => documents).flat();
      const sender = async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
          const response = await stack.query(noisyToken, next);
          events.push(`noisy:${errorCodes(response).join(',')}`);
        }
      };
      await Promise.all([sender(), sender(), sender(), sender()]);
      flooding = false;
    })();
    const quietAnswers: Array<GraphQLResponse<{ currentTenant: { id: string } }>> = [];
    while (flooding) {
      const response = await stack.query<{ currentTenant: { id: string } }>(quietToken, '{ currentTenant { id } }');
      quietAnswers.push(response);
      events.push('quiet:ok');
    }
    await flood;
    expect(quietAnswers.every((response) => response.status === 200 && response.data?.currentTenant.id === quiet.id)).toBe(true);
    expect(events.filter((event) => event.startsWith('noisy:')).every((event) => event === 'noisy:QUERY_TOO_COMPLEX')).toBe(true);
    // The quiet tenant was answered between the flood's first and last refusal, not only after it.
    const firstNoisy = events.findIndex((event) => event.startsWith('noisy:'));
    const lastNoisy = events.map((event) => event.startsWith('noisy:')).lastIndexOf(true);
    expect(events.slice(firstNoisy, lastNoisy).filter((event) => event === 'quiet:ok').length).toBeGreaterThan(0);
  });

  it("a document's other operations are bounded too (validated, their fragments built by the planner), though only the named one runs and is charged", async () => {
    const run = async (query: string, operationName: string) => {
      const response = await fetch(stack.graphqlUrl, { method: 'POST', headers: { authorization: `Bearer ${noisyToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ query, operationName }) });
      return { status: response.status, body: (await response.json()) as GraphQLResponse<{ currentTenant?: { id: string } }> };
    };
    const cheap = 'query A { currentTenant { id } }';
    for (const [other, limit] of [
      [`query B { currentTenant { ${'limits { costBurst } '.repeat(300)}} }`, 'maxFieldMergePairs'],
      [`query B { currentTenant { ${'... { '.repeat(1_600)}id${' }'.repeat(1_600)} } }`, 'maxSelectionNesting'],
      [`query B { currentTenant { ...F } } fragment F on Tenant { ${'... { '.repeat(1_600)}id${' }'.repeat(1_600)} }`, 'maxSelectionNesting'],
      ['query B { datasets(first: 10000) { edges { node { id name } } } }', 'maxOperationCost'],
    ] as const) {
      const answer = await run(`${cheap} ${other}`, 'A');
      expect({ limit, status: answer.status, code: refusal(answer.body)?.['code'], refusedFor: refusal(answer.body)?.['limit'] }).toEqual({ limit, status: 400, code: 'QUERY_TOO_COMPLEX', refusedFor: limit });
    }
    // A second operation within the bounds is fine: the named one runs.
    const both = await run(`${cheap} query B { currentTenant { limits { costBurst } } }`, 'A');
    expect({ status: both.status, id: both.body.data?.currentTenant?.id }).toEqual({ status: 200, id: noisy.id });
  });

  it('an empty operationName names no operation, by POST and GET, as for the prepared path (Apollo looked for an operation named "" and answered 500)', async () => {
    const query = `query Unique${Date.now()} { currentTenant { id } }`;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const posted = await fetch(stack.graphqlUrl, { method: 'POST', headers: { authorization: `Bearer ${noisyToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ query, operationName: '' }) });
      expect({ attempt, status: posted.status, body: await posted.json() }).toEqual({ attempt, status: 200, body: { data: { currentTenant: { id: noisy.id } } } });
    }
    const got = await fetch(`${stack.graphqlUrl}?query=${encodeURIComponent(`query Get${Date.now()} { currentTenant { id } }`)}&operationName=`, { headers: { authorization: `Bearer ${noisyToken}`, 'apollo-require-preflight': 'true' } });
    expect({ status: got.status, body: await got.json() }).toEqual({ status: 200, body: { data: { currentTenant: { id: noisy.id } } } });
  });

  it('fragments may nest a few levels per field level: 40 nested inline fragments and a chain of 40 spreads are answered', async () => {
    const nested = await stack.query<{ currentTenant: { id: string } }>(noisyToken, `{ currentTenant { ${'... { '.repeat(40)}id${' }'.repeat(40)} } }`);
    expect({ codes: errorCodes(nested), id: nested.data?.currentTenant.id }).toEqual({ codes: [], id: noisy.id });
    expect(errorCodes(await stack.query(noisyToken, fragmentChain(40, 1)))).toEqual([]);
  });

  it('a field repeated a few times at one place (fragments selecting the same thing) is answered', async () => {
    const repeated = await stack.query<{ currentTenant: { limits: { costBurst: number } } }>(noisyToken, `{ currentTenant { ${'limits { costBurst } '.repeat(10)}} }`);
    expect({ codes: errorCodes(repeated), burst: repeated.data?.currentTenant.limits.costBurst }).toEqual({ codes: [], burst: 60_000 });
  });

  it('a variable named __proto__ sizes lists like any other variable, and first: null costs the size the subgraph applies (the schema default)', async () => {
    const sized = (name: string) => `query($${name}: Int) { datasets(first: $${name}) { edges { node { versions(first: $${name}) { edges { node { id } } } } } } }`;
    const measuredCost = async (query: string, variables?: Record<string, unknown>) => {
      const response = await stack.query(noisyToken, query, variables);
      expectRefused(response, 400, 'QUERY_TOO_COMPLEX');
      expect(refusal(response)?.['limit']).toBe('maxOperationCost');
      return refusal(response)?.['measured'];
    };
    const plain = await measuredCost(sized('n'), { n: 100 });
    // A JSON object with an own "__proto__" key, as a client sends it.
    expect(await measuredCost(sized('__proto__'), JSON.parse('{"__proto__": 100}') as Record<string, unknown>)).toBe(plain);
    const page = (first: string) => `{ datasets${first} { edges { node { versions(first: 300) { edges { node { id } } } } } } }`;
    const omitted = await measuredCost(page(''));
    expect(await measuredCost(page('(first: null)'))).toBe(omitted);
    expect(await measuredCost('query($n: Int) ' + page('(first: $n)'))).toBe(omitted);
  });

  it('the standard introspection query (Apollo Sandbox, codegen) is answered within the default limits', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const response = await stack.query<{ __schema: { types: unknown[] } }>(noisyToken, getIntrospectionQuery());
    expect(errorCodes(response)).toEqual([]);
    expect(response.data?.__schema.types.length).toBeGreaterThan(20);
  });

  it('a fragment cycle → GRAPHQL_VALIDATION_FAILED, a missing fragment too; nothing recursive runs', async () => {
    const cycle = 'query { currentTenant { ...A } } fragment A on Tenant { id ...B } fragment B on Tenant { ...A }';
    expectRefused(await stack.query(noisyToken, cycle), 400, 'GRAPHQL_VALIDATION_FAILED');
    expectRefused(await stack.query(noisyToken, 'query { currentTenant { ...Missing } }'), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  describe('malformed requests answer 400 with a typed code, never 500', () => {
    const post = async (body: string, contentType = 'application/json') => {
      const response = await fetch(stack.graphqlUrl, { method: 'POST', headers: { authorization: `Bearer ${noisyToken}`, 'content-type': contentType }, body });
      const json = (await response.json()) as GraphQLResponse<unknown>;
      return { status: response.status, codes: errorCodes(json) };
    };

    it.each([
      ['an unknown operationName', JSON.stringify({ query: 'query A { currentTenant { id } }', operationName: 'B' }), 'OPERATION_RESOLUTION_FAILURE'],
      ['several operations without operationName', JSON.stringify({ query: 'query A { currentTenant { id } } query B { currentTenant { id } }' }), 'OPERATION_RESOLUTION_FAILURE'],
      ['a document with fragments only', JSON.stringify({ query: 'fragment F on Tenant { id }' }), 'GRAPHQL_VALIDATION_FAILED'],
      ['a body that is a JSON number', '42', 'BAD_REQUEST'],
      ['a body that is an array (batch)', JSON.stringify([{ query: '{ currentTenant { id } }' }]), 'BAD_REQUEST'],
      ['no query', JSON.stringify({ variables: {} }), 'BAD_REQUEST'],
      ['a query that is not a string', JSON.stringify({ query: { currentTenant: true } }), 'BAD_REQUEST'],
      ['variables that are an array', JSON.stringify({ query: '{ currentTenant { id } }', variables: [1] }), 'BAD_REQUEST'],
      ['an operationName that is a number', JSON.stringify({ query: '{ currentTenant { id } }', operationName: 7 }), 'BAD_REQUEST'],
      ['a persisted-query hash nobody registered', JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }), 'PERSISTED_QUERY_NOT_FOUND'],
      ['a persisted-query hash that is not hex', JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'z'.repeat(64) } } }), 'BAD_REQUEST'],
      ['a documentId that is not sha256:<hex>', JSON.stringify({ documentId: 'md5:abc' }), 'BAD_REQUEST'],
      ['an unterminated string', JSON.stringify({ query: '{ currentTenant(id: "x) { id } }' }), 'GRAPHQL_PARSE_FAILED'],
      // graphql-js reads it as Infinity and validates it; Apollo's planner threw on it (HTTP 500).
      // JSON.parse reads 1e999 as Infinity: the planner threw on it too.
      ['a variable holding a number no double holds (1e999 in the JSON)', '{"query":"query($x: [Float!]!) { currentTenant { id } }","variables":{"x":[1, 1e999]}}', 'BAD_USER_INPUT'],
      ['an Int literal no double holds, where a Float is expected', JSON.stringify({ query: `{ predict(input: { modelName: "m", version: 1, inputs: [{ name: "x", data: [${'9'.repeat(400)}], shape: [1] }] }) { batchSize } }` }), 'GRAPHQL_VALIDATION_FAILED'],
      ['a Float literal no double holds (1e999)', JSON.stringify({ query: '{ predict(input: { modelName: "m", version: 1, inputs: [{ name: "x", data: [1e999], shape: [1] }] }) { batchSize } }' }), 'GRAPHQL_VALIDATION_FAILED'],
    ])('%s', async (_label, body, code) => {
      const answer = await post(body);
      expect(answer.codes).toEqual([code]);
      expect(answer.status).toBeGreaterThanOrEqual(200);
      expect(answer.status).toBeLessThan(500);
      // PERSISTED_QUERY_NOT_FOUND is 200, as APQ clients expect: they resend with the text.
      if (code !== 'PERSISTED_QUERY_NOT_FOUND') expect(answer.status).toBe(400);
    });

    it('GET /graphql runs the same steps: an unknown operationName and an over-deep query are typed 400s', async () => {
      const get = async (params: Record<string, string>) => {
        const response = await fetch(`${stack.graphqlUrl}?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${noisyToken}`, 'apollo-require-preflight': 'true' } });
        return { status: response.status, json: (await response.json()) as GraphQLResponse<unknown> };
      };
      const unknown = await get({ query: 'query A { currentTenant { id } }', operationName: 'B' });
      expect([unknown.status, errorCodes(unknown.json)]).toEqual([400, ['OPERATION_RESOLUTION_FAILURE']]);
      const deep = await get({ query: deepIntrospection(40) });
      expect([deep.status, errorCodes(deep.json)]).toEqual([400, ['QUERY_TOO_COMPLEX']]);
      const fine = await get({ query: '{ currentTenant { id } }' });
      expect([fine.status, fine.json.data]).toEqual([200, { currentTenant: { id: noisy.id } }]);
    });
  });

  describe('limits are per tenant: platform defaults, overrides set by platform_admin (audited), readable in currentTenant', () => {
    const setLimits = `mutation Set($id: ID!, $limits: TenantLimitsInput!) {
      setTenantLimits(id: $id, limits: $limits) { id limits { maxOperationDepth maxOperationCost costPerMinute } overriddenLimits } }`;

    it('a tighter depth for one tenant refuses its query while another tenant runs the same query', async () => {
      const tight = tenantOf.tight;
      const admin = await stack.platformAdminToken();
      const set = expectNoErrors(await stack.query<{ setTenantLimits: { limits: Extensions; overriddenLimits: string[] } }>(admin, setLimits, { id: tight.id, limits: { maxOperationDepth: 3 } }));
      expect(set.setTenantLimits).toMatchObject({ limits: { maxOperationDepth: 3, maxOperationCost: 5_000 }, overriddenLimits: ['maxOperationDepth'] });

      const query = '{ datasets(first: 5) { edges { node { id } } } }'; // depth 4
      const refused = await stack.query(await tight.token('viewer'), query);
      expectRefused(refused, 400, 'QUERY_TOO_COMPLEX');
      expect(refusal(refused)).toMatchObject({ limit: 'maxOperationDepth', limitValue: 3, measured: 4 });
      expect(errorCodes(await stack.query(await quiet.token('viewer'), query))).toEqual([]);

      // The tenant reads its own limits.
      const own = expectNoErrors(await stack.query<{ currentTenant: { limits: Extensions; overriddenLimits: string[] } }>(await tight.token('viewer'), '{ currentTenant { limits { maxOperationDepth maxOperationAliases } overriddenLimits } }'));
      expect(own.currentTenant).toEqual({ limits: { maxOperationDepth: 3, maxOperationAliases: 30 }, overriddenLimits: ['maxOperationDepth'] });

      // Back to the platform default with null: the query runs again.
      const reset = expectNoErrors(await stack.query<{ setTenantLimits: { limits: Extensions; overriddenLimits: string[] } }>(admin, setLimits, { id: tight.id, limits: { maxOperationDepth: null } }));
      expect(reset.setTenantLimits).toMatchObject({ limits: { maxOperationDepth: 15 }, overriddenLimits: [] });
      expect(errorCodes(await stack.query(await tight.token('viewer'), query))).toEqual([]);

      // Both changes are in the tenant's own audit trail, with the old and new values.
      await stack.drainAudit(tight.id);
      const trail = expectNoErrors(
        await stack.query<{ auditEvents: { edges: Array<{ node: { action: string; details: string } }> } }>(
          await tight.token('admin'),
          '{ auditEvents(filter: { action: "tenant.limits" }, first: 10) { edges { node { action details } } } }',
        ),
      );
      const details = trail.auditEvents.edges.map((edge) => JSON.parse(edge.node.details) as Extensions);
      expect(details).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ maxOperationDepth: 3, 'maxOperationDepth.before': 15, 'maxOperationDepth.overridden': true }),
          expect.objectContaining({ maxOperationDepth: 15, 'maxOperationDepth.before': 3, 'maxOperationDepth.overridden': false }),
        ]),
      );
    });

    it('only platform_admin changes limits; bad values are BAD_USER_INPUT and change nothing; an unknown tenant is NOT_FOUND', async () => {
      const target = tenantOf.target;
      for (const role of ['admin', 'data_scientist', 'viewer'] as const) {
        expect(errorCodes(await stack.query(await target.token(role), setLimits, { id: target.id, limits: { costPerMinute: 10_000_000 } }))).toEqual(['FORBIDDEN']);
        // Nor can a tenant admin raise another tenant's limits.
        expect(errorCodes(await stack.query(await quiet.token(role), setLimits, { id: target.id, limits: { costPerMinute: 10_000_000 } }))).toEqual(['FORBIDDEN']);
      }
      const admin = await stack.platformAdminToken();
      // keyRotationDays over ten years (2 147 483 647 was accepted, and made the next rotation's date unreadable).
      for (const bad of [{ maxOperationDepth: 0 }, { maxOperationCost: -5 }, { maxOperationCost: 1.5 }, { costPerMinute: 1e300 }, { keyRotationDays: 2_147_483_647 }, { keyRotationDays: 3_661 }]) {
        const response = await stack.query(admin, setLimits, { id: target.id, limits: bad });
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      }
      expect(errorCodes(await stack.query(admin, setLimits, { id: 'no-such-tenant', limits: { maxOperationDepth: 5 } }))).toEqual(['NOT_FOUND']);
      const unchanged = expectNoErrors(await stack.query<{ currentTenant: { overriddenLimits: string[] } }>(await target.token('viewer'), '{ currentTenant { overriddenLimits } }'));
      expect(unchanged.currentTenant.overriddenLimits).toEqual([]);
    });
  });

  describe('the rate limit counts cost units, not requests', () => {
    it('aliasing cannot multiply the budget: a 20-alias request takes 20 times what one takes', async () => {
      const tenant = tenantOf.aliasing;
      const token = await tenant.token('viewer');
      // { currentTenant { id } } costs 2; twenty aliases of it cost 40: the second such request is over 50.
      expect(errorCodes(await stack.query(token, aliases(20)))).toEqual([]);
      const refused = await stack.query(token, aliases(20));
      expectRefused(refused, 429, 'RATE_LIMITED');
      const retryAfter = refusal(refused)!['retryAfterSeconds'] as number;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers.get('retry-after'))).toBe(retryAfter);
      // A cheap request still fits in what is left (50 − 40 = 10 units).
      expect(errorCodes(await stack.query(token, '{ currentTenant { id } }'))).toEqual([]);
      // Another tenant is not affected.
      expect(errorCodes(await stack.query(await quiet.token('viewer'), aliases(20)))).toEqual([]);
    });

    it("a long document pays for its length: one unit per KiB past the first (a 900 KB string argument is one token, but every byte is lexed and planned)", async () => {
      const tenant = tenantOf.long;
      const token = await tenant.token('viewer');
      // 200 KiB of one string: ~200 units on top of the field's few.
      const long = `{ modelByName(name: "${'x'.repeat(200 * 1024)}") { id } }`;
      expect(errorCodes(await stack.query(token, long))).not.toContain('RATE_LIMITED');
      expectRefused(await stack.query(token, long), 429, 'RATE_LIMITED');
      // The same question in a short document still fits in what is left.
      expect(errorCodes(await stack.query(token, '{ currentTenant { id } }'))).toEqual([]);
    });

    it('a tenant that spent its minute is refused before its operation is parsed (a flood of refusals stays cheap)', async () => {
      const tenant = tenantOf.spent;
      const token = await tenant.token('viewer');
      expect(errorCodes(await stack.query(token, '{ currentTenant { id } }'))).toEqual([]);
      expect(errorCodes(await stack.query(token, '{ currentTenant { id } }'))).toEqual([]);
      // Not parsed: the answer is the budget, not the syntax error.
      expectRefused(await stack.query(token, '{ currentTenant { id '), 429, 'RATE_LIMITED');
    });

    it('refused documents are paid too (a fee of 100 units plus one per KiB scanned): a flood of over-limit documents ends in RATE_LIMITED', async () => {
      const tenant = tenantOf.refusedDocuments;
      const token = await tenant.token('viewer');
      const huge = aliases(2_000);
      const unitsPerRefusal = 100 + Math.ceil(huge.length / 1024);
      expect(unitsPerRefusal).toBeGreaterThan(130);
      const refusalsUntilEmpty = Math.ceil(1_000 / unitsPerRefusal);
      const codes: string[] = [];
      for (let i = 0; i <= refusalsUntilEmpty; i++) codes.push(...errorCodes(await stack.query(token, huge)));
      expect(codes).toEqual([...Array<string>(refusalsUntilEmpty).fill('QUERY_TOO_COMPLEX'), 'RATE_LIMITED']);
      // Another tenant sending the same documents has its own budget.
      expect(errorCodes(await stack.query(await quiet.token('viewer'), huge))).toEqual(['QUERY_TOO_COMPLEX']);
    });

    it('an operation costing more than the whole minute budget is QUERY_TOO_COMPLEX naming costPerMinute (a retry could never succeed)', async () => {
      const tenant = tenantOf.overMinute;
      const response = await stack.query(await tenant.token('viewer'), '{ datasets(first: 50) { edges { node { id } } } }');
      expectRefused(response, 400, 'QUERY_TOO_COMPLEX');
      expect(refusal(response)).toMatchObject({ limit: 'costPerMinute', limitValue: 30 });
    });

    it('uploads and downloads are charged from the same budget', async () => {
      const tenant = tenantOf.transfers;
      const token = await tenant.token('data_scientist');
      const put = () =>
        fetch(`${stack.gatewayUrl}/uploads/datasets/00000000-0000-4000-8000-000000000000`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: 'a\n1\n' });
      // The first upload (50 units) reaches the datasets service (which does not know the id)…
      const first = await put();
      expect(first.status).toBe(404);
      // …the second is refused at the gateway: 10 units are left.
      const second = await put();
      expect(second.status).toBe(429);
      expect(errorCodes((await second.json()) as GraphQLResponse<unknown>)).toEqual(['RATE_LIMITED']);
    });
  });

  describe('the same limits over WebSocket (graphql-ws subscribe)', () => {
    let socket: TestSubscriptionClient;
    const errorOf = async (query: string): Promise<Extensions | undefined> => {
      const ended = await new CollectedSubscription(socket.client, { query }).ended;
      return ended.kind === 'error' ? (ended.error as Array<{ extensions?: Extensions }>)[0]?.extensions : undefined;
    };

    beforeAll(async () => {
      socket = connectSubscriptions(stack.graphqlUrl, { authorization: `Bearer ${noisyToken}` });
      await socket.connected;
    });
    afterAll(() => socket?.dispose());

    it.each([
      ['a chain of fragments each spreading the next 3 times', 'subscription { jobEvents { ...F0 } }\n' + fragmentChainOn('JobEvent', 30, 3, 'jobId'), 'maxOperationCost'],
      ['5 000 directives', `subscription { jobEvents { jobId ${'@include(if: true) '.repeat(5_000)}} }`, 'maxOperationTokens'],
      ['60 directives', `subscription { jobEvents { jobId ${'@include(if: true) '.repeat(60)}} }`, 'maxOperationDirectives'],
      ['40 aliases', `subscription { jobEvents { ${Array.from({ length: 40 }, (_, i) => `a${i}: jobId`).join(' ')} } }`, 'maxOperationAliases'],
      ['depth 16', deepSubscription(16), 'maxOperationDepth'],
    ])('%s → QUERY_TOO_COMPLEX naming %s', async (_label, query, limit) => {
      expect(await errorOf(query)).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
    });

    it('the socket survives every refusal and still serves an allowed subscription', async () => {
      const stream = new CollectedSubscription(socket.client, { query: 'subscription { jobEvents { jobId } }' });
      await socket.connected;
      expect(stream.results).toEqual([]);
    });

    it('subscribing costs units from the tenant budget: over it → RATE_LIMITED on the socket', async () => {
      const tenant = tenantOf.subscribing;
      const own = connectSubscriptions(stack.graphqlUrl, { authorization: `Bearer ${await tenant.token('viewer')}` });
      try {
        await own.connected;
        // A subscription costs its fields (2) plus 10 for holding a stream: the second is over 15.
        const first = new CollectedSubscription(own.client, { query: 'subscription { jobEvents { jobId } }' });
        const second = await new CollectedSubscription(own.client, { query: 'subscription { jobEvents { jobId } }' }).ended;
        expect(second.kind === 'error' ? (second.error as Array<{ extensions?: Extensions }>)[0]?.extensions?.['code'] : second).toBe('RATE_LIMITED');
        expect(first.results).toEqual([]);
      } finally {
        await own.dispose();
      }
    });
  });
});

function fragmentChainOn(type: string, length: number, fanOut: number, body: string): string {
  let document = '';
  for (let i = 0; i < length; i++) {
    const next = i + 1 < length ? Array.from({ length: fanOut }, () => `...F${i + 1}`).join(' ') : '';
    document += `fragment F${i} on ${type} { ${body} ${next} }\n`;
  }
  return document;
}

/**
 * A subscription `depth` levels deep. Job events nest only two levels, so the excess is a chain of
 * fields the schema does not have: the limits are measured before validation, so depth refuses it first.
 */
function deepSubscription(depth: number): string {
  let inner = 'x';
  for (let i = 0; i < depth - 1; i++) inner = `x { ${inner} }`;
  return `subscription { jobEvents { ${inner} } }`;
}
