import { errorCodes, expectNoErrors, startTestStack, type GraphQLResponse, type TestStack, type TestTenant } from '@tessera/testing';
import { countDatasets, expectRefused } from './support';

// Each file starts the real stack (issuer process, S3, MariaDB, six subgraphs, gateway): slow on a busy machine.
jest.setTimeout(60_000);

/** `datasets { edges { node { … } } }` followed by `versions → dataset` hops until the selection is `depth` fields deep. */
function nestedDatasetsQuery(depth: number): string {
  // datasets(1) edges(2) node(3), then each hop adds versions, edges, node, dataset (4), the leaf `id` adds 1.
  const hops = (depth - 4) / 4;
  if (!Number.isInteger(hops) || hops < 0) throw new Error(`depth ${depth} is not 4 + 4n`);
  let inner = 'id';
  // Small pages: this query is about depth, its cost stays far under the cost limit.
  for (let i = 0; i < hops; i++) inner = `versions(first: 2) { edges { node { dataset { ${inner} } } } }`;
  return `{ datasets(first: 2) { edges { node { ${inner} } } } }`;
}

function depthOfSelection(query: string): number {
  let depth = 0;
  let deepest = 0;
  for (const char of query) {
    if (char === '{') deepest = Math.max(deepest, ++depth);
    if (char === '}') depth--;
  }
  return deepest; // one `{` per non-leaf field plus the operation's own: equal to the depth of the leaf field
}

describe('gateway error responses', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let token: string;

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant();
    token = await acme.token('admin');
  });
  afterAll(() => stack?.stop());

  const rawPost = async (body: string | Buffer, contentType = 'application/json') => {
    const response = await fetch(stack.graphqlUrl, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${token}` }, body });
    const text = await response.text();
    let json: (Pick<GraphQLResponse, 'errors'> & { data?: unknown }) | undefined;
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      json = undefined;
    }
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, json };
  };

  it('an unknown field → GRAPHQL_VALIDATION_FAILED (400)', async () => {
    const res = await stack.query(token, '{ datasets { edges { node { id passwordHash } } } }');
    expectRefused(res, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(res.errors?.[0]?.message).toMatch(/passwordHash/);
  });

  it('a variable of the wrong type → BAD_USER_INPUT (400)', async () => {
    const res = await stack.query(token, 'query Q($first: Int) { datasets(first: $first) { edges { node { id } } } }', { first: 'ten' });
    expectRefused(res, 400, 'BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/\$first/);
  });

  it('a mutation with an input of the wrong type → BAD_USER_INPUT and nothing written', async () => {
    const before = await countDatasets(stack, acme);
    const res = await stack.query(token, 'mutation C($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name: 42 } });
    expectRefused(res, 400, 'BAD_USER_INPUT');
    expect(await countDatasets(stack, acme)).toBe(before);
  });

  it('a query deeper than the default 15 levels → QUERY_TOO_COMPLEX (400) naming the limit; 12 levels is answered', async () => {
    const atLimit = nestedDatasetsQuery(12);
    const tooDeep = nestedDatasetsQuery(16);
    expect([depthOfSelection(atLimit), depthOfSelection(tooDeep)]).toEqual([12, 16]);

    expect(errorCodes(await stack.query(token, atLimit))).toEqual([]);
    const res = await stack.query(token, tooDeep);
    expectRefused(res, 400, 'QUERY_TOO_COMPLEX');
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'maxOperationDepth', limitValue: 15, measured: 16 });
    expect(res.errors?.[0]?.message).toMatch(/depth is 16; the limit \(maxOperationDepth\) is 15/);
  });

  it('depth hidden in nested fragments is counted too → QUERY_TOO_COMPLEX', async () => {
    const query = `
      query Deep { datasets(first: 1) { edges { node { ...D1 } } } }
      fragment D1 on Dataset { versions(first: 1) { edges { node { ...V1 } } } }
      fragment V1 on DatasetVersion { dataset { versions(first: 1) { edges { node { ...V2 } } } } }
      fragment V2 on DatasetVersion { dataset { versions(first: 1) { edges { node { dataset { id } } } } } }`;
    const res = await stack.query(token, query);
    expectRefused(res, 400, 'QUERY_TOO_COMPLEX');
  });

  it.each([
    ['truncated JSON', 'application/json', '{"query": "{ currentTenant { id } }"', /not valid JSON/],
    ['JSON that is not an object', 'application/json', '"{ currentTenant { id } }"', /must be a JSON object/],
    ['JSON null', 'application/json', 'null', /must be a JSON object/],
    ['plain text', 'text/plain', '{ currentTenant { id } }', /content-type/],
    ['a form', 'application/x-www-form-urlencoded', 'query=%7B%20currentTenant%20%7B%20id%20%7D%20%7D', /content-type/],
  ])('a body that is not a JSON request (%s) → BAD_REQUEST (400) with a JSON error body that says why', async (_label, contentType, body, message) => {
    const res = await rawPost(body, contentType);
    expect(res.status).toBe(400);
    expect(res.json?.errors?.[0]?.message).toMatch(message);
    expect(res.contentType).toMatch(/application\/json/);
    expect(res.json && errorCodes(res.json)).toEqual(['BAD_REQUEST']);
    expect(res.json?.data ?? null).toBeNull();
    expect(res.text).not.toMatch(/SyntaxError|at .*\.js|<html/i);
  });

  it('a body over 1 MB → PAYLOAD_TOO_LARGE (413) with a JSON error body', async () => {
    const padding = ' '.repeat(1024 * 1024 + 10);
    const res = await rawPost(JSON.stringify({ query: `{ currentTenant { id } }${padding}` }));
    expect(res.status).toBe(413);
    expect(res.contentType).toMatch(/application\/json/);
    expect(res.json && errorCodes(res.json)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('the same query under the size limit is answered (the 413 is about size only)', async () => {
    const padding = ' '.repeat(512 * 1024);
    const res = await rawPost(JSON.stringify({ query: `{ currentTenant { id } }${padding}` }));
    expect(res.status).toBe(200);
    expect(res.json?.data).toEqual({ currentTenant: { id: acme.id } });
  });

  it('a path whose percent-encoding does not decode (upload and download ids) → BAD_REQUEST (400) about the path, not a body', async () => {
    for (const [method, path] of [
      ['PUT', '/uploads/datasets/%E0%A4%A'],
      ['GET', '/downloads/models/%zz'],
    ] as const) {
      const response = await fetch(`${stack.gatewayUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` }, ...(method === 'PUT' ? { body: 'a,b\n' } : {}) });
      const json = (await response.json()) as Pick<GraphQLResponse, 'errors'>;
      expect({ status: response.status, codes: errorCodes(json) }).toEqual({ status: 400, codes: ['BAD_REQUEST'] });
      expect(json.errors?.[0]?.message).toMatch(/path/);
      expect(json.errors?.[0]?.message).not.toMatch(/JSON/);
    }
  });

  it('a subscription sent over HTTP → BAD_REQUEST (400) naming the WebSocket endpoint', async () => {
    const response = await stack.query(token, 'subscription { jobEvents { jobId } }');
    expectRefused(response, 400, 'BAD_REQUEST');
    expect(response.errors?.[0]?.message).toMatch(/WebSocket/);
  });

  it('a valid request still works after all of the above', async () => {
    expect(expectNoErrors(await stack.query(token, '{ currentTenant { id } }'))).toEqual({ currentTenant: { id: acme.id } });
  });
});
