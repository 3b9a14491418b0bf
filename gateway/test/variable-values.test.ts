import { errorCodes, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';

// Each file starts the real stack (issuer process, S3, MariaDB, six subgraphs, gateway): slow on a busy machine.
jest.setTimeout(180_000);

const jobsByStatus = 'query Jobs($s: [JobStatus!]) { jobs(first: 1, filter: { status: $s }) { edges { node { id } } } }';
const predictData = 'query Predict($d: [Float!]) { predict(input: { modelName: "no-such-model", alias: "production", inputs: [{ name: "features", shape: [1, 4], data: $d }] }) { batchSize } }';

async function post(stack: TestStack, token: string, body: unknown): Promise<{ status: number; ms: number; body: GraphQLResponse<unknown> }> {
  const startedAt = performance.now();
  const response = await fetch(stack.graphqlUrl, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, ms: performance.now() - startedAt, body: JSON.parse(text) as GraphQLResponse<unknown> };
}

describe('variables: what a request carries in them is bounded and paid for, like its document', () => {
  let stack: TestStack;
  let quiet: TestTenant;
  let noisy: TestTenant;
  let noisyToken: string;
  // The tenants of the budget tests below, each with the limits its test is about, made with quiet
  // and noisy at once rather than one by one as each test starts (making a tenant is most of such a
  // test's time). Each is used by its one test (or loop round) only, so its budget is untouched until then.
  const ownLimits = {
    floatsPayer: { costBurst: 1_000, costPerMinute: 800 },
    floatsSmall: { costBurst: 200 },
    junkPayer: { costBurst: 1_000, costPerMinute: 700 },
    extensionsPayer: { costBurst: 1_000, costPerMinute: 700 },
    // Refilled at one unit a second, not the default thousand: a loaded machine's slow requests
    // must not refill a fee between them.
    notJsonPayer: { costBurst: 300, costPerMinute: 60 },
    batchPayer: { costBurst: 300, costPerMinute: 60 },
    nonStringPayer: { costBurst: 300, costPerMinute: 60 },
    routePayer: { costBurst: 2_000, costPerMinute: 1_100 },
    routeSmall: { costBurst: 300 },
  };
  const tenantOf = {} as Record<keyof typeof ownLimits, TestTenant>;

  beforeAll(async () => {
    stack = await startTestStack();
    const names = Object.keys(ownLimits) as Array<keyof typeof ownLimits>;
    const made = await Promise.all([stack.createTenant(), stack.createTenant(), ...names.map((name) => stack.createTenant({ limits: ownLimits[name] }))]);
    [quiet, noisy] = made as [TestTenant, TestTenant];
    names.forEach((name, i) => (tenantOf[name] = made[i + 2]!));
    noisyToken = await noisy.token('data_scientist');
  });
  afterAll(() => stack?.stop());

  it('a list variable of 20 000 invalid values is refused after a bounded number of errors (graphql-js made one error each, twice: seconds of the gateway event loop per request)', async () => {
    const quietToken = await quiet.token('viewer');
    const invalid = { query: jobsByStatus, variables: { s: Array.from({ length: 20_000 }, () => 'NOT_A_STATUS') } };
    const answers = await Promise.all([post(stack, noisyToken, invalid), post(stack, noisyToken, invalid)]);
    for (const answer of answers) {
      expect({ status: answer.status, codes: [...new Set(errorCodes(answer.body))] }).toEqual({ status: 400, codes: ['BAD_USER_INPUT'] });
      expect(answer.body.errors!.length).toBeLessThanOrEqual(51);
      expect(answer.body.errors![0]!.message).toContain('Variable "$s" got invalid value "NOT_A_STATUS"');
    }
    // Each took milliseconds, not seconds: nothing was made per invalid element past the bound.
    expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(3_000);
    const quietAnswer = await post(stack, quietToken, { query: '{ currentTenant { id } }' });
    expect({ status: quietAnswer.status, data: quietAnswer.body.data }).toEqual({ status: 200, data: { currentTenant: { id: quiet.id } } });
  });

  it('an input object of 30 000 unknown fields is refused before coercion (graphql-js printed the whole object into the message of each unknown field: quadratic)', async () => {
    const quietToken = await quiet.token('viewer');
    const wide = { query: 'query P($i: PredictInput!) { predict(input: $i) { batchSize } }', variables: { i: Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`k${i}`, i])) } };
    const answer = await post(stack, noisyToken, wide);
    expect({ status: answer.status, codes: errorCodes(answer.body), limit: answer.body.errors?.[0]?.extensions?.['limit'] }).toEqual({ status: 400, codes: ['BAD_USER_INPUT'], limit: 'inputObjectFields' });
    expect(answer.ms).toBeLessThan(2_000);
    // An input object with a few unknown fields is still answered by Apollo, naming them.
    const few = await post(stack, noisyToken, { query: wide.query, variables: { i: { modelName: 'm', alias: 'a', inputs: [], colour: 'red' } } });
    expect({ status: few.status, codes: errorCodes(few.body) }).toEqual({ status: 400, codes: ['BAD_USER_INPUT'] });
    expect(few.body.errors![0]!.message).toContain('Field "colour" is not defined by type "PredictInput"');
    const quietAnswer = await post(stack, quietToken, { query: '{ currentTenant { id } }' });
    expect(quietAnswer.status).toBe(200);
  });

  it('a variable nested deeper than maxValueNesting is QUERY_TOO_COMPLEX, as a literal is (a DateTime variable took any value and the gateway failed forwarding 20 000 nested lists: INTERNAL_SERVER_ERROR)', async () => {
    const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    const query = 'query R($f: DateTime!, $t: DateTime!) { accessReport(from: $f, to: $t) { __typename } }';
    for (const depth of [20, 20_000]) {
      const response = await fetch(stack.graphqlUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${await noisy.token('admin')}`, 'content-type': 'application/json' },
        body: `{"query":${JSON.stringify(query)},"variables":{"f":${nested(depth)},"t":"2026-01-01T00:00:00Z"}}`,
      });
      const body = (await response.json()) as GraphQLResponse<unknown>;
      expect({ depth, status: response.status, codes: errorCodes(body), limit: body.errors?.[0]?.extensions?.['limit'] }).toEqual({ depth, status: 400, codes: ['QUERY_TOO_COMPLEX'], limit: 'maxValueNesting' });
    }
    // A value within the bound that is no date-time is the subgraph's BAD_USER_INPUT, as before.
    const shallow = await post(stack, await noisy.token('admin'), { query, variables: { f: [[1]], t: '2026-01-01T00:00:00Z' } });
    expect(errorCodes(shallow.body)).toEqual(['BAD_USER_INPUT']);
  });

  it('a few invalid values are each named, as before', async () => {
    const answer = await post(stack, noisyToken, { query: jobsByStatus, variables: { s: ['QUEUED', 'NOPE', 'RUNNING', 'ALSO_NOT'] } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors!.map((error) => [error.extensions?.['code'], error.message])).toEqual([
      ['BAD_USER_INPUT', expect.stringContaining('Variable "$s" got invalid value "NOPE" at "s[1]"')],
      ['BAD_USER_INPUT', expect.stringContaining('Variable "$s" got invalid value "ALSO_NOT" at "s[3]"')],
    ]);
    expect(errorCodes(await post(stack, noisyToken, { query: jobsByStatus, variables: { s: ['QUEUED', 'RUNNING'] } }).then((a) => a.body))).toEqual([]);
  });

  it("a variable's values are paid for in cost units: 20 000 floats cost hundreds of units, not the 50 of one predict (four predicts of 200 000 were seconds of the gateway's CPU each second)", async () => {
    // A tenant with a burst of 1 000 refilled at 800 a minute: one predict of 20 000 floats costs
    // some 600 units for its values (one per 32 past the first 1 024), besides 50 for the document
    // and 77 for its body's length, so the next one soon after is over the burst. Values unpaid, the
    // three would cost some 130 each, 390 in all, and none would be refused (as 200 000 floats
    // did, a tenth of the values at a tenth of the burst tells the same).
    const payer = tenantOf.floatsPayer;
    const token = await payer.token('data_scientist');
    const big = { query: predictData, variables: { d: Array.from({ length: 20_000 }, (_, i) => (i % 10) + 0.5) } };
    const codes: string[][] = [];
    for (let i = 0; i < 3; i += 1) codes.push(errorCodes((await post(stack, token, big)).body));
    // The model does not exist: the first reaches the models service (NOT_FOUND), the next are over the burst.
    expect(codes[0]).toEqual(['NOT_FOUND']);
    expect(codes.slice(1).flat()).toContain('RATE_LIMITED');
    // A predict with a handful of values still costs what it did (no charge for the first values).
    const small = tenantOf.floatsSmall;
    const smallToken = await small.token('data_scientist');
    for (let i = 0; i < 3; i += 1) {
      expect(errorCodes((await post(stack, smallToken, { query: predictData, variables: { d: [1, 2, 3, 4] } })).body)).toEqual(['NOT_FOUND']);
    }
  });

  it('values anywhere in the body are paid for, not only in variables: 20 000 of them under an unknown key or in extensions (the gateway parses them all; 400 000 nested lists took another tenant from 20 ms to 870 ms at 1 unit each)', async () => {
    // 20 000 values cost some 600 units besides the query's 2 and the body's 38: the second such
    // request is over a burst of 1 000 refilled at 700 a minute. Unpaid, three would cost some 120.
    for (const [key, payer] of [['junk', tenantOf.junkPayer], ['extensions', tenantOf.extensionsPayer]] as const) {
      const token = await payer.token('viewer');
      const body = { query: '{ currentTenant { id } }', [key]: { x: Array.from({ length: 20_000 }, (_, i) => i % 10) } };
      const codes: string[][] = [];
      for (let i = 0; i < 3; i += 1) codes.push(errorCodes((await post(stack, token, body)).body));
      expect({ key, first: codes[0] }).toEqual({ key, first: [] });
      expect(codes.slice(1).flat()).toContain('RATE_LIMITED');
    }
  });

  it('a body refused before it names an operation (not JSON, a batch array, a non-string query) is paid for as a refused document: it was parsed whole, deep junk included, for nothing', async () => {
    for (const [body, payer] of [
      ['{"query": "{ currentTenant { id } }", "junk": [[[[1]]]] ', tenantOf.notJsonPayer],
      ['[{"query": "{ currentTenant { id } }"}]', tenantOf.batchPayer],
      ['{"query": 5, "junk": [[[[1]]]]}', tenantOf.nonStringPayer],
    ] as const) {
      const token = await payer.token('viewer');
      const codes: string[] = [];
      for (let i = 0; i < 6; i += 1) {
        const response = await fetch(stack.graphqlUrl, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
        codes.push(...errorCodes((await response.json()) as GraphQLResponse<unknown>));
      }
      // A fee of 100 units each: the burst of 300 holds three; what refills meanwhile is a unit a second.
      expect({ body, first: codes[0], limited: codes.includes('RATE_LIMITED') }).toEqual({ body, first: 'BAD_REQUEST', limited: true });
    }
  });

  it("the predict route's body is paid for by its length (one unit per KiB past the first): 200 000 floats were 98 units, and the models service parses and checks every one", async () => {
    const payer = tenantOf.routePayer;
    const token = await payer.token('data_scientist');
    const routeUrl = stack.graphqlUrl.replace(/\/graphql$/, '/v1/predict');
    const predict = async (data: number[]) => {
      const response = await fetch(routeUrl, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ modelName: 'no-such-model', alias: 'production', inputs: [{ name: 'features', shape: [1, 4], data }] }) });
      return errorCodes((await response.json()) as GraphQLResponse<unknown>);
    };
    const big = Array.from({ length: 200_000 }, (_, i) => (i % 10) + 0.5);
    const codes = [await predict(big), await predict(big), await predict(big)];
    expect(codes[0]).toEqual(['NOT_FOUND']);
    expect(codes.slice(1).flat()).toContain('RATE_LIMITED');
    // A small body costs the route's 98 units, as before: a fresh tenant's burst of 300 holds three.
    const small = tenantOf.routeSmall;
    const smallToken = await small.token('data_scientist');
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(routeUrl, { method: 'POST', headers: { authorization: `Bearer ${smallToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ modelName: 'no-such-model', alias: 'production', inputs: [{ name: 'features', shape: [1, 4], data: [1, 2, 3, 4] }] }) });
      expect(errorCodes((await response.json()) as GraphQLResponse<unknown>)).toEqual(['NOT_FOUND']);
    }
  });
});
