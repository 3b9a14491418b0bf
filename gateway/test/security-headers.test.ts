import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

/**
 * Every HTTP answer of the gateway carries the headers a browser needs to keep it to what it is:
 * no MIME sniffing (an error reflects the request's path, a download is a tenant's bytes), no
 * Referer leaving for other sites, and no framing by another site (the landing page embeds Apollo
 * Sandbox, which runs operations with the headers a user saved in it: framed, a click could be
 * taken for a Run). The console's server sends the same (console/server/static-server.ts).
 */
describe('security headers on every gateway answer', () => {
  let stack: TestStack;
  let tenant: TestTenant;

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant();
  });
  afterAll(() => stack?.stop());

  const headersOf = (response: Response) => ({
    nosniff: response.headers.get('x-content-type-options'),
    referrer: response.headers.get('referrer-policy'),
    frame: response.headers.get('x-frame-options'),
    csp: response.headers.get('content-security-policy'),
  });
  const expected = { nosniff: 'nosniff', referrer: 'no-referrer', frame: 'DENY', csp: "frame-ancestors 'none'" };

  it('the landing page, POST and GET answers (admitted, single-fetch, refused), 404s, preflights and the predict route', async () => {
    const token = await tenant.token('viewer');
    const json = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const query = JSON.stringify({ query: '{ currentTenant { id } }' });
    const requests: Array<[string, () => Promise<Response>]> = [
      ['landing page', () => fetch(stack.graphqlUrl, { headers: { accept: 'text/html' } })],
      ['POST query', () => fetch(stack.graphqlUrl, { method: 'POST', headers: json, body: query })],
      // The second run of the same document is prepared, and may be answered without Apollo.
      ['POST query again', () => fetch(stack.graphqlUrl, { method: 'POST', headers: json, body: query })],
      ['POST without a token', () => fetch(stack.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query })],
      ['GET query', () => fetch(`${stack.graphqlUrl}?query=${encodeURIComponent('{ currentTenant { id } }')}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': '1' } })],
      ['unknown route', () => fetch(`${stack.gatewayUrl}/nothing%3Cscript%3E`)],
      ['preflight', () => fetch(stack.graphqlUrl, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' } })],
      ['predict without a token', () => fetch(`${stack.gatewayUrl}/v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })],
    ];
    const seen: Record<string, unknown> = {};
    const want: Record<string, unknown> = {};
    for (const [name, request] of requests) {
      const response = await request();
      await response.arrayBuffer();
      seen[name] = headersOf(response);
      want[name] = expected;
    }
    expect(seen).toEqual(want);
  });
});
