import type { IncomingHttpHeaders } from 'node:http';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { internalContextHeader, requestIdHeader, type Caller } from '@tessera/auth';
import { isDependencyUnavailable, toClientError } from '@tessera/errors';
import { ensureLocalPki } from '@tessera/local-infra';
import { listen, peerIdentity, type RunningHttpServer } from '@tessera/service-kit';
import type { GatewayContext } from '../src/gateway-context';
import { createSubgraphFetcher } from '../src/subgraph-http-client';
import { SubgraphAgents } from '../src/subgraph-tls';
import { publicUrlHeader, TenantContextDataSource } from '../src/tenant-context-data-source';

/**
 * The gateway's subgraph client contract (what Apollo Gateway's RemoteGraphQLDataSource did):
 * the JSON POST and its headers, and how a subgraph's non-2xx or non-JSON answer is reported.
 * The "subgraph" is a real mutual-TLS server on loopback (the local CA's `datasets` certificate)
 * that answers what each test tells it to.
 */
describe('TenantContextDataSource (gateway → subgraph over mutual TLS)', () => {
  const pki = ensureLocalPki();
  let server: RunningHttpServer;
  let impostor: RunningHttpServer;
  let url: string;
  const agents = new SubgraphAgents(pki.identity('gateway'));
  let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '{}' };
  const received: Array<{ headers: IncomingHttpHeaders; body: string; method: string | undefined; client: string | undefined }> = [];

  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), method: req.method, client: peerIdentity(req.socket) });
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
    });
  };

  // A subgraph that dies in the middle of a call: it reads the request, then drops the connection.
  let dropper: RunningHttpServer;
  const dropHandler = (req: import('node:http').IncomingMessage) => {
    req.resume();
    req.on('end', () => req.socket.destroy());
  };

  beforeAll(async () => {
    dropper = await listen(dropHandler as never, 0, '127.0.0.1', { identity: pki.identity('datasets'), allowedClients: ['gateway'] });
    server = await listen(handler as never, 0, '127.0.0.1', { identity: pki.identity('datasets'), allowedClients: ['gateway'] });
    // A server of the same CA whose certificate names another service.
    impostor = await listen(handler as never, 0, '127.0.0.1', { identity: pki.identity('models'), allowedClients: ['gateway'] });
    url = `${server.url}/graphql`;
  });
  afterAll(async () => {
    agents.close();
    await server.close();
    await impostor.close();
    await dropper.close();
  });
  beforeEach(() => {
    received.length = 0;
  });

  const sign = async (caller: Caller, audience: string) => (caller.kind === 'gateway' ? `gateway-own-token-for-${audience}` : `context-of-${caller.subject}-for-${audience}-${caller.requestId}`);
  const context = {
    principal: { kind: 'user', subject: 'alice', tenantId: 'acme', roles: ['viewer'], requestId: '' },
    requestId: 'req-0123456789',
    publicUrl: 'https://gateway.example',
  } as unknown as GatewayContext;
  const source = (target = url, subgraph = 'datasets') => new TenantContextDataSource(subgraph, target, sign, createSubgraphFetcher(agents, subgraph));
  const operation = (request: { query?: string; variables?: Record<string, unknown>; operationName?: string }) =>
    ({
      kind: 'incoming operation',
      request,
      context,
      incomingRequestContext: {},
    }) as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;

  it('POSTs { query, variables, operationName } as JSON with the signed context, request id and public URL', async () => {
    answer = { status: 200, type: 'application/json; charset=utf-8', body: JSON.stringify({ data: { datasets: [] } }) };
    const response = await source().process(operation({ query: 'query Q($n: Int) { datasets(first: $n) { id } }', variables: { n: 3 }, operationName: 'Q' }));
    expect(response).toEqual({ data: { datasets: [] } });
    expect(received).toHaveLength(1);
    const [sent] = received;
    expect(sent!.method).toBe('POST');
    expect(JSON.parse(sent!.body)).toEqual({ query: 'query Q($n: Int) { datasets(first: $n) { id } }', variables: { n: 3 }, operationName: 'Q' });
    expect(sent!.headers).toMatchObject({
      'content-type': 'application/json',
      [internalContextHeader]: 'context-of-alice-for-datasets-req-0123456789',
      [requestIdHeader]: 'req-0123456789',
      [publicUrlHeader]: 'https://gateway.example',
    });
    // Over mutual TLS, as the gateway's service identity.
    expect(sent!.client).toBe('gateway');
  });

  it('a context is minted per call: two calls, two contexts', async () => {
    answer = { status: 200, type: 'application/json', body: '{"data":{}}' };
    const calls: string[] = [];
    const counting = new TenantContextDataSource('datasets', url, async (caller, audience) => `${calls.push(audience)}`, createSubgraphFetcher(agents, 'datasets'));
    await counting.process(operation({ query: '{ a }' }));
    await counting.process(operation({ query: '{ a }' }));
    expect(received.map((r) => r.headers[internalContextHeader])).toEqual(['1', '2']);
    expect(calls).toEqual(['datasets', 'datasets']);
  });

  it('refuses a server whose certificate names another subgraph, and any plain-HTTP URL', async () => {
    await expect(source(`${impostor.url}/graphql`).process(operation({ query: '{ a }' }))).rejects.toThrow(/datasets/);
    await expect(source(url.replace(/^https/, 'http')).process(operation({ query: '{ a }' }))).rejects.toThrow(/must be https/);
    expect(received).toHaveLength(0);
  });

  it('schema loading and health checks carry the gateway\'s own token, never a user context', async () => {
    answer = { status: 200, type: 'application/json', body: JSON.stringify({ data: { _service: { sdl: 'type Query { a: Int }' } } }) };
    await source().process({
      kind: 'loading schema',
      request: { query: '{ _service { sdl } }' },
      context: {},
    } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
    expect(received[0]!.headers[internalContextHeader]).toBe('gateway-own-token-for-datasets');
    expect(received[0]!.headers[requestIdHeader]).toBeUndefined();
  });

  it('a non-2xx answer becomes "<status>: <statusText>": UNAUTHENTICATED / FORBIDDEN for 401 / 403, SERVICE_UNAVAILABLE for 502–504', async () => {
    for (const [status, code] of [
      [401, 'UNAUTHENTICATED'],
      [403, 'FORBIDDEN'],
      [500, undefined],
      [502, 'SERVICE_UNAVAILABLE'],
      [503, 'SERVICE_UNAVAILABLE'],
      [504, 'SERVICE_UNAVAILABLE'],
    ] as const) {
      answer = { status, type: 'application/json', body: JSON.stringify({ errors: [{ message: 'no' }] }) };
      const error = await source()
        .process(operation({ query: '{ a }' }))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(GraphQLError);
      const graphQLError = error as GraphQLError;
      expect(graphQLError.message).toMatch(new RegExp(`^${status}: `));
      expect(graphQLError.extensions['code']).toBe(code);
      expect(graphQLError.extensions['response']).toMatchObject({ status, body: { errors: [{ message: 'no' }] } });
    }
  });

  it('a subgraph that drops the connection mid-call, or cannot be reached, is an outage (SERVICE_UNAVAILABLE), never an internal error', async () => {
    const dropped: unknown = await source(`${dropper.url}/graphql`).process(operation({ query: '{ a }' })).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(dropped).toBeInstanceOf(Error);
    expect(isDependencyUnavailable(dropped)).toBe(true);
    expect(toClientError(dropped).code).toBe('SERVICE_UNAVAILABLE');
    // The same for the predict route's call (the fetcher itself), and for a port nobody listens on.
    const fetcher = createSubgraphFetcher(agents, 'datasets');
    const viaFetcher: unknown = await fetcher(`${dropper.url}/internal/predict`, { body: '{}' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(toClientError(viaFetcher).code).toBe('SERVICE_UNAVAILABLE');
    const closed = await listen(handler as never, 0, '127.0.0.1', { identity: pki.identity('datasets'), allowedClients: ['gateway'] });
    await closed.close();
    const refused: unknown = await fetcher(`${closed.url}/graphql`, { body: '{}' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(toClientError(refused).code).toBe('SERVICE_UNAVAILABLE');
    // The pool is fine afterwards: the healthy subgraph still answers.
    answer = { status: 200, type: 'application/json', body: '{"data":{"a":1}}' };
    await expect(source().process(operation({ query: '{ a }' }))).resolves.toEqual({ data: { a: 1 } });
  });

  it('a 200 answer that is not a JSON object is an error, not data', async () => {
    answer = { status: 200, type: 'text/html', body: '<html>proxy error page</html>' };
    await expect(source().process(operation({ query: '{ a }' }))).rejects.toThrow(/Expected JSON response body/);
    answer = { status: 200, type: 'application/json', body: '[1, 2]' };
    await expect(source().process(operation({ query: '{ a }' }))).rejects.toThrow(/Expected JSON response body/);
    answer = { status: 200, type: 'application/json', body: '{"data": ' };
    await expect(source().process(operation({ query: '{ a }' }))).rejects.toThrow(SyntaxError);
  });

  it('refuses to send an operation without a query', async () => {
    await expect(source().process(operation({}))).rejects.toThrow('Missing query');
    expect(received).toHaveLength(0);
  });
});
