import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

/**
 * A browser reads an answer of another origin only if it carries CORS headers for that origin:
 * without them, a page on a listed origin (the web console) sees an opaque network error instead
 * of the typed refusal. So every answer the gateway gives — its routes' refusals, the proxies'
 * errors, readiness, the preflights, and the refusals of Node's HTTP parser written outside any
 * route — carries them for a listed origin, and none for another.
 */
describe('gateway: every answer is readable by a browser on a listed origin', () => {
  const listed = 'https://console.example';
  const other = 'https://evil.example';
  let stack: TestStack;
  let acme: TestTenant;
  let token: string;

  beforeAll(async () => {
    // A small failure budget per address, so the address guard's 429 comes quickly (each test sends from its own address).
    stack = await startTestStack({ corsOrigins: [listed], authFailuresPerMinutePerAddress: 5 });
    acme = await stack.createTenant();
    token = await acme.token('admin');
  });
  afterAll(() => stack?.stop());

  const from = (address: string) => ({ 'x-forwarded-for': address });

  /** What a browser needs to read `response` from `listed`, and the typed code it would read. */
  async function readable(response: Response): Promise<{ status: number; origin: string | null; varyOrigin: boolean; exposes: boolean; code: unknown }> {
    const text = await response.text();
    let code: unknown;
    try {
      code = (JSON.parse(text) as { errors?: Array<{ extensions?: { code?: unknown } }> }).errors?.[0]?.extensions?.code;
    } catch {
      code = `not JSON: ${text.slice(0, 80)}`;
    }
    return {
      status: response.status,
      origin: response.headers.get('access-control-allow-origin'),
      varyOrigin: /(^|,)\s*origin\s*(,|$)/i.test(response.headers.get('vary') ?? ''),
      exposes: (response.headers.get('access-control-expose-headers') ?? '').includes('retry-after'),
      code,
    };
  }
  const readableAs = (status: number, code: string) => ({ status, origin: listed, varyOrigin: true, exposes: true, code });

  it('the routes’ own refusals: unknown path 404, wrong method 405, no token 401, bad upload target or id, Apollo’s 400', async () => {
    const id = randomUUID();
    const cases: Array<[string, RequestInit, number, string]> = [
      ['/nowhere', {}, 404, 'NOT_FOUND'],
      ['/nowhere', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, 404, 'NOT_FOUND'],
      ['/graphql', { method: 'PUT', body: '{}' }, 405, 'METHOD_NOT_ALLOWED'],
      ['/v1/predict', {}, 405, 'METHOD_NOT_ALLOWED'],
      [`/uploads/datasets/${id}`, {}, 405, 'METHOD_NOT_ALLOWED'],
      [`/downloads/models/${id}`, { method: 'DELETE' }, 405, 'METHOD_NOT_ALLOWED'],
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }, 401, 'UNAUTHENTICATED'],
      ['/v1/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, 401, 'UNAUTHENTICATED'],
      [`/uploads/datasets/${id}`, { method: 'PUT', body: 'abc' }, 401, 'UNAUTHENTICATED'],
      [`/downloads/models/${id}`, {}, 401, 'UNAUTHENTICATED'],
      [`/uploads/nowhere/${id}`, { method: 'PUT', body: 'abc' }, 404, 'NOT_FOUND'],
      ['/uploads/datasets/not-an-id', { method: 'PUT', body: 'abc' }, 400, 'BAD_USER_INPUT'],
    ];
    for (const [index, [path, init, status, code]] of cases.entries()) {
      // Each from its own address: requests without a token count against their address's budget.
      const headers = { ...(init.headers as Record<string, string> | undefined), origin: listed, ...from(`198.51.100.${index + 1}`) };
      const answer = await readable(await fetch(`${stack.gatewayUrl}${path}`, { ...init, headers }));
      expect({ path, method: init.method ?? 'GET', ...answer }).toEqual({ path, method: init.method ?? 'GET', ...readableAs(status, code) });
      const refusedOrigin = await fetch(`${stack.gatewayUrl}${path}`, { ...init, headers: { ...headers, origin: other } });
      expect({ path, origin: refusedOrigin.headers.get('access-control-allow-origin') }).toEqual({ path, origin: null });
    }
    // GET /graphql without an operation: Apollo's own 400, through the same CORS step.
    const apollo = await fetch(stack.graphqlUrl, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true', origin: listed } });
    expect((await readable(apollo)).origin).toBe(listed);
    expect(apollo.status).toBe(400);
  });

  it('bodies over the limit (413) and the proxies passing on a subgraph’s error', async () => {
    const auth = { authorization: `Bearer ${token}`, origin: listed };
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(1_200_000) } });
    for (const path of ['/graphql', '/v1/predict']) {
      const answer = await readable(await fetch(`${stack.gatewayUrl}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: big }));
      expect({ path, ...answer }).toEqual({ path, ...readableAs(413, 'PAYLOAD_TOO_LARGE') });
    }
    // An upload declared over the limit is refused on its headers (nothing of it is sent).
    const declared = await new Promise<{ status: number; origin: string | undefined; body: string }>((resolve, reject) => {
      const url = new URL(`${stack.gatewayUrl}/uploads/datasets/${randomUUID()}`);
      const upload = httpsRequest(url, { method: 'PUT', ca: stack.pki.ca, headers: { ...auth, 'content-length': String(4 * 1024 ** 3) } }, (reply) => {
        let body = '';
        reply.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        reply.on('end', () => {
          resolve({ status: reply.statusCode ?? 0, origin: reply.headers['access-control-allow-origin'], body });
          upload.destroy();
        });
      });
      upload.on('error', reject);
      upload.flushHeaders();
    });
    expect({ status: declared.status, origin: declared.origin, code: (JSON.parse(declared.body) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code }).toEqual({
      status: 413,
      origin: listed,
      code: 'PAYLOAD_TOO_LARGE',
    });
    // Ids no upload or file has: the subgraph refuses them, the proxy passes its answer on.
    const download = await readable(await fetch(`${stack.gatewayUrl}/downloads/models/${randomUUID()}`, { headers: auth }));
    expect(download).toEqual(readableAs(404, 'NOT_FOUND'));
    const upload = await readable(await fetch(`${stack.gatewayUrl}/uploads/datasets/${randomUUID()}`, { method: 'PUT', headers: auth, body: 'a,b\n1,2\n' }));
    expect({ origin: upload.origin, varyOrigin: upload.varyOrigin, refused: upload.status >= 400, typed: typeof upload.code === 'string' && !String(upload.code).startsWith('not JSON') }).toEqual({
      origin: listed,
      varyOrigin: true,
      refused: true,
      typed: true,
    });
  });

  it('the address guard’s 429, on every entry point, with retry-after exposed', async () => {
    const address = from('198.51.100.99');
    const forged = { authorization: 'Bearer aaa.bbb.ccc', origin: listed, ...address };
    let first: Response | undefined;
    for (let i = 0; i < 20 && first?.status !== 429; i++) {
      first = await fetch(stack.graphqlUrl, { method: 'POST', headers: { ...forged, 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      await first.arrayBuffer();
    }
    expect(first?.status).toBe(429);
    const id = randomUUID();
    const entries: Array<[string, RequestInit]> = [
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }],
      [`/graphql?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } }],
      ['/v1/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
      [`/uploads/datasets/${id}`, { method: 'PUT', body: 'abc' }],
      [`/downloads/models/${id}`, {}],
    ];
    for (const [path, init] of entries) {
      const response = await fetch(`${stack.gatewayUrl}${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...forged } });
      const retryAfter = response.headers.get('retry-after');
      expect({ path, ...(await readable(response)), retryAfter: Number(retryAfter) > 0 }).toEqual({ path, ...readableAs(429, 'RATE_LIMITED'), retryAfter: true });
    }
  });

  it('readiness and liveness, and the preflight of every route', async () => {
    for (const path of ['/_readiness', '/_health']) {
      const response = await fetch(`${stack.gatewayUrl}${path}`, { headers: { origin: listed } });
      expect({ path, status: response.status, origin: response.headers.get('access-control-allow-origin') }).toEqual({ path, status: 200, origin: listed });
    }
    const id = randomUUID();
    const preflights: Array<[string, string]> = [
      ['/graphql', 'POST'],
      ['/graphql', 'GET'],
      ['/v1/predict', 'POST'],
      [`/uploads/datasets/${id}`, 'PUT'],
      [`/downloads/models/${id}`, 'GET'],
      ['/_readiness', 'GET'],
      ['/nowhere', 'GET'],
    ];
    for (const [path, method] of preflights) {
      const ask = (origin: string) =>
        fetch(`${stack.gatewayUrl}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' } });
      const allowed = await ask(listed);
      expect({
        path,
        status: allowed.status,
        origin: allowed.headers.get('access-control-allow-origin'),
        method: (allowed.headers.get('access-control-allow-methods') ?? '').split(/,\s*/).includes(method),
        headers: ['authorization', 'content-type'].every((name) => (allowed.headers.get('access-control-allow-headers') ?? '').split(/,\s*/).includes(name)),
        credentials: allowed.headers.get('access-control-allow-credentials'),
      }).toEqual({ path, status: 204, origin: listed, method: true, headers: true, credentials: null });
      expect({ path, origin: (await ask(other)).headers.get('access-control-allow-origin') }).toEqual({ path, origin: null });
    }
  });

  /** What a raw TLS client reads back for `bytes` on a fresh connection, until the gateway closes it. */
  function exchange(bytes: string): Promise<string> {
    const url = new URL(stack.gatewayUrl);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), ca: stack.pki.ca, servername: 'localhost' }, () => socket.write(Buffer.from(bytes, 'latin1')));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', reject);
    });
  }
  const headerOf = (reply: string, name: string) => new RegExp(`^${name}: *(.*)$`, 'im').exec(reply.split('\r\n\r\n')[0]!)?.[1]?.trim();

  it('a request Node’s parser refuses (400): the CORS headers for a listed origin, none for another, nothing broken by garbage', async () => {
    const malformed = (origin: string) => `POST /graphql HTTP/1.1\r\nHost: localhost\r\nOrigin: ${origin}\r\nBad\x01: y\r\n\r\n`;
    const allowed = await exchange(malformed(listed));
    expect({
      status: allowed.split(' ')[1],
      origin: headerOf(allowed, 'access-control-allow-origin'),
      vary: headerOf(allowed, 'vary'),
      exposes: headerOf(allowed, 'access-control-expose-headers')?.includes('x-request-id'),
      body: JSON.parse(allowed.split('\r\n\r\n')[1]!) as unknown,
    }).toEqual({ status: '400', origin: listed, vary: 'Origin', exposes: true, body: { errors: [{ message: 'The HTTP request is malformed.', extensions: { code: 'BAD_REQUEST' } }] } });
    const refused = await exchange(malformed(other));
    expect({ status: refused.split(' ')[1], origin: headerOf(refused, 'access-control-allow-origin') }).toEqual({ status: '400', origin: undefined });
    for (const garbage of [`NOT HTTP\r\nOrigin: ${listed}\r\n\r\n`, `GET / HTTP/1.1\r\nOrigin: ${listed}\rX-Injected: 1\r\n\r\n`, '\x00\xff\x16\x03\x01\r\n\r\n', `GET / HTTP/1.1\r\nOrigin: ${listed}, ${listed}\r\nBad\x01: y\r\n\r\n`]) {
      const reply = await exchange(garbage);
      expect({ garbage, status: reply.split(' ')[1], origin: headerOf(reply, 'access-control-allow-origin'), injected: headerOf(reply, 'x-injected') }).toEqual({ garbage, status: '400', origin: undefined, injected: undefined });
    }
    // The gateway goes on answering.
    expect((await fetch(`${stack.gatewayUrl}/_health`)).status).toBe(200);
  });

  it('a refused WebSocket handshake (a path other than /graphql, a bad key) and a CONNECT: typed JSON with the CORS and security headers, not ws\u2019s text/html or a dropped connection', async () => {
    const upgrade = (path: string, key: string) =>
      `GET ${path} HTTP/1.1\r\nHost: localhost\r\nOrigin: ${listed}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const cases: Array<[string, string, string, string]> = [
      ['upgrade elsewhere', upgrade('/graphql/', key), '404', 'NOT_FOUND'],
      ['upgrade with a bad key', upgrade('/graphql', 'x'), '400', 'BAD_REQUEST'],
      ['CONNECT', `CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\nOrigin: ${listed}\r\n\r\n`, '405', 'METHOD_NOT_ALLOWED'],
    ];
    for (const [name, bytes, status, code] of cases) {
      const reply = await exchange(bytes).catch((error: Error) => `dropped: ${error.message}`);
      const body = reply.split('\r\n\r\n')[1] ?? '';
      let typed: unknown;
      try {
        typed = (JSON.parse(body) as { errors: Array<{ extensions: { code: unknown } }> }).errors[0]!.extensions.code;
      } catch {
        typed = `not JSON: ${reply.slice(0, 60)}`;
      }
      expect({ name, status: reply.split(' ')[1], type: headerOf(reply, 'content-type'), origin: headerOf(reply, 'access-control-allow-origin'), nosniff: headerOf(reply, 'x-content-type-options'), code: typed }).toEqual({
        name,
        status,
        type: 'application/json',
        origin: listed,
        nosniff: 'nosniff',
        code,
      });
    }
    expect((await fetch(`${stack.gatewayUrl}/_health`)).status).toBe(200);
  });
});
