import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';

/**
 * The upload and download paths exist for one method each (PUT uploads, GET and HEAD downloads):
 * any other method on them is 405 METHOD_NOT_ALLOWED with `Allow`, as on /graphql and /v1/predict,
 * not a 404 "No route" that reads as a wrong upload URL. Nothing is read into a subgraph.
 */
describe('methods on the transfer routes', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let token: string;

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant();
    token = await tenant.token('admin');
  });
  afterAll(() => stack?.stop());

  const id = '00000000-0000-4000-8000-000000000000';

  it('answers 405 with Allow for another method on an upload or a download path', async () => {
    for (const [path, methods, allow] of [
      [`/uploads/datasets/${id}`, ['GET', 'POST', 'PATCH', 'DELETE'], 'PUT'],
      [`/uploads/models/${id}`, ['POST'], 'PUT'],
      [`/downloads/models/${id}`, ['PUT', 'POST', 'DELETE'], 'GET, HEAD'],
    ] as const) {
      for (const method of methods) {
        const response = await fetch(`${stack.gatewayUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: method === 'GET' ? undefined : 'a,b\n1,2\n' });
        const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
        expect({ path, method, status: response.status, allow: response.headers.get('allow'), code: body.errors[0]!.extensions.code }).toEqual({ path, method, status: 405, allow, code: 'METHOD_NOT_ALLOWED' });
      }
    }
    // The routes themselves still answer as before: an unknown upload or version is NOT_FOUND.
    const upload = await fetch(`${stack.gatewayUrl}/uploads/datasets/${id}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
    expect({ status: upload.status, code: ((await upload.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    const download = await fetch(`${stack.gatewayUrl}/downloads/models/${id}`, { headers: { authorization: `Bearer ${token}` } });
    expect({ status: download.status, code: ((await download.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
  });
});
