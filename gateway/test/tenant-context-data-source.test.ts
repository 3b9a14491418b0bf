import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import { GraphQLError } from 'graphql';
import { internalContextHeader, requestIdHeader } from '@tessera/auth';
import type { GatewayContext } from '../src/gateway-context';
import { createSubgraphHttpClient } from '../src/subgraph-http-client';
import { publicUrlHeader, TenantContextDataSource } from '../src/tenant-context-data-source';

/**
 * The gateway's subgraph client contract (what Apollo Gateway's RemoteGraphQLDataSource did):
 * the JSON POST and its headers, and how a subgraph's non-2xx or non-JSON answer is reported.
 * The "subgraph" is a real HTTP server on loopback that answers what each test tells it to.
 */
describe('TenantContextDataSource (gateway → subgraph HTTP)', () => {
  let server: Server;
  let url: string;
  const client = createSubgraphHttpClient();
  let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '{}' };
  const received: Array<{ headers: IncomingHttpHeaders; body: string; method: string | undefined }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), method: req.method });
        res.writeHead(answer.status, { 'content-type': answer.type });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    received.length = 0;
  });

  const context = { internalToken: 'signed-internal-context', requestId: 'req-0123456789', publicUrl: 'http://gateway.example' } as GatewayContext;
  const source = () => new TenantContextDataSource(url, async () => 'gateway-own-token', client.fetcher);
  const operation = (request: { query?: string; variables?: Record<string, unknown>; operationName?: string }) =>
    ({
      kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
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
      [internalContextHeader]: 'signed-internal-context',
      [requestIdHeader]: 'req-0123456789',
      [publicUrlHeader]: 'http://gateway.example',
    });
  });

  it('schema loading and health checks carry the gateway\'s own token, never a user context', async () => {
    answer = { status: 200, type: 'application/json', body: JSON.stringify({ data: { _service: { sdl: 'type Query { a: Int }' } } }) };
    await source().process({
      kind: GraphQLDataSourceRequestKind.LOADING_SCHEMA,
      request: { query: '{ _service { sdl } }' },
      context: {},
    } as GraphQLDataSourceProcessOptions<GatewayContext>);
    expect(received[0]!.headers[internalContextHeader]).toBe('gateway-own-token');
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
