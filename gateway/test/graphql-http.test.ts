import { deflateSync, gzipSync } from 'node:zlib';
import { quoteIdentifier } from '@tessera/tenancy';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { createDatasetMutation } from './support';

/**
 * The HTTP contract of POST /graphql (served by the gateway's own handler, not express): request
 * ids, CORS for listed origins only, the client address behind a local proxy, and the request id
 * reaching the subgraphs (it travels beside the reusable internal context).
 */
describe('POST /graphql over HTTP', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let token: string;

  beforeAll(async () => {
    stack = await startTestStack();
    acme = await stack.createTenant();
    token = await acme.token('admin');
  });
  afterAll(() => stack?.stop());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(stack.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify(body) });

  it('echoes a well-formed x-request-id and mints one otherwise', async () => {
    const mine = 'req-0123456789abcdef';
    expect((await post({ query: '{ currentTenant { id } }' }, { 'x-request-id': mine })).headers.get('x-request-id')).toBe(mine);
    const minted = (await post({ query: '{ currentTenant { id } }' }, { 'x-request-id': 'bad id; drop table' })).headers.get('x-request-id');
    expect(minted).toMatch(/^[0-9a-f-]{36}$/);
    expect((await post({ query: '{ currentTenant { id } }' })).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a chunked body (no content-length) over 1 MB is answered 413 PAYLOAD_TOO_LARGE, not a reset connection', async () => {
    const big = JSON.stringify({ query: '{ currentTenant { id } }', variables: { pad: 'x'.repeat(1_200_000) } });
    const chunks = [big.slice(0, 600_000), big.slice(600_000)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const response = await fetch(stack.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors.map((e) => e.extensions.code)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('refuses a body in a content coding, or one claiming a coding, with BAD_REQUEST naming the header; identity is no coding', async () => {
    const operation = JSON.stringify({ query: '{ currentTenant { id } }' });
    const send = (encoding: string, body: string | Buffer) =>
      fetch(stack.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding, authorization: `Bearer ${token}` }, body });
    for (const [encoding, body] of [['gzip', gzipSync(operation)], ['deflate', deflateSync(operation)], ['br', operation], ['GZIP', operation]] as const) {
      const response = await send(encoding, body);
      const answer = (await response.json()) as { data?: unknown; errors?: Array<{ extensions: { code: string; header?: string } }> };
      expect({ encoding, status: response.status, data: answer.data, errors: answer.errors?.map((e) => [e.extensions.code, e.extensions.header]) }).toEqual({
        encoding,
        status: 400,
        data: undefined,
        errors: [['BAD_REQUEST', 'Content-Encoding']],
      });
    }
    const plain = await send('identity', operation);
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as { data?: { currentTenant?: { id: string } } }).data?.currentTenant?.id).toBeDefined();
  });

  it('runs operations on /graphql alone: another spelling of the path is a 404 and another method a 405, so nothing unmeasured runs', async () => {
    // Over the root-field limit (20): refused on /graphql, and it must not run anywhere else.
    const costly = { query: `{ ${Array.from({ length: 25 }, (_, i) => `a${i}: currentTenant { id }`).join(' ')} }` };
    const refused = await post(costly);
    expect({ status: refused.status, code: ((await refused.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code }).toEqual({ status: 400, code: 'QUERY_TOO_COMPLEX' });
    const cheapInUrl = `?query=${encodeURIComponent('{ __typename }')}`;
    for (const path of ['/graphql/x', '/GRAPHQL', '/Graphql', '/graphql/graphql', '/graphqlx']) {
      for (const search of ['', cheapInUrl]) {
        const other = await fetch(`${stack.gatewayUrl}${path}${search}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(costly) });
        const body = (await other.json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
        expect({ path, search, status: other.status, code: body.errors[0]!.extensions.code, data: body.data }).toEqual({ path, search, status: 404, code: 'NOT_FOUND', data: undefined });
      }
      const get = await fetch(`${stack.gatewayUrl}${path}${cheapInUrl}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
      expect({ path, status: get.status }).toEqual({ path, status: 404 });
    }
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const other = await fetch(`${stack.graphqlUrl}${cheapInUrl}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(costly) });
      const body = (await other.json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
      expect({ method, status: other.status, allow: other.headers.get('allow'), code: body.errors[0]!.extensions.code, data: body.data }).toEqual({ method, status: 405, allow: 'GET, POST', code: 'METHOD_NOT_ALLOWED', data: undefined });
    }
    // The two spellings that are /graphql still work, by GET and by POST.
    for (const path of ['/graphql', '/graphql/']) {
      const get = await fetch(`${stack.gatewayUrl}${path}${cheapInUrl}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
      expect({ path, status: get.status, body: await get.json() }).toEqual({ path, status: 200, body: { data: { __typename: 'Query' } } });
      const posted = await fetch(`${stack.gatewayUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect({ path, status: posted.status, body: await posted.json() }).toEqual({ path, status: 200, body: { data: { __typename: 'Query' } } });
    }
  });

  it('negotiates the content type as Apollo Server does, and answers compact JSON', async () => {
    const typeFor = async (accept: string | undefined) => {
      const response = await post({ query: '{ currentTenant { id } }' }, accept === undefined ? {} : { accept });
      const text = await response.text();
      return { status: response.status, type: response.headers.get('content-type'), text };
    };
    for (const accept of [undefined, '*/*', 'application/json', ' application/json ']) {
      const answer = await typeFor(accept);
      expect({ accept, status: answer.status, type: answer.type }).toEqual({ accept, status: 200, type: 'application/json; charset=utf-8' });
      expect(answer.text).toBe(JSON.stringify({ data: { currentTenant: { id: acme.id } } }));
    }
    // Anything else is left to Apollo's negotiator: its choice, q-values and 406 included.
    expect(await typeFor('application/graphql-response+json')).toMatchObject({ status: 200, type: 'application/graphql-response+json; charset=utf-8' });
    expect(await typeFor('application/json;q=0.1, application/graphql-response+json')).toMatchObject({ status: 200, type: 'application/graphql-response+json; charset=utf-8' });
    expect(await typeFor('text/html, application/json')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    expect(await typeFor('text/html')).toMatchObject({ status: 406 });
  });

  it('answers CORS for listed origins only, on the preflight and on the POST itself', async () => {
    const listed = 'https://studio.apollographql.com';
    const preflight = await fetch(stack.graphqlUrl, { method: 'OPTIONS', headers: { origin: listed, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(listed);
    const allowed = await post({ query: '{ currentTenant { id } }' }, { origin: listed });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(listed);
    expect(allowed.headers.get('access-control-expose-headers')).toContain('x-request-id');
    const other = await post({ query: '{ currentTenant { id } }' }, { origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await other.json()) as { data: unknown }).data).toEqual({ currentTenant: { id: acme.id } });
  });

  it('records the client address a local proxy reports, and the request id, in the audit trail', async () => {
    const requestId = 'req-audit-0123456789';
    const response = await post({ query: createDatasetMutation, variables: { input: { name: 'via-proxy' } } }, { 'x-forwarded-for': '203.0.113.7', 'x-request-id': requestId });
    const created = ((await response.json()) as { data: { createDataset: { id: string } } }).data.createDataset;
    await stack.drainAudit(acme.id);
    const rows = (await stack.platform.runtime.db.query(
      `SELECT source_ip, request_id FROM ${quoteIdentifier(acme.schema)}.audit_events WHERE action = 'dataset.create' AND target_id = ?`,
      [created.id],
    )) as Array<{ source_ip: string; request_id: string }>;
    expect(rows).toEqual([{ source_ip: '203.0.113.7', request_id: requestId }]);
  });
});
