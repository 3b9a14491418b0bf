import { createHash, randomUUID } from 'node:crypto';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { auditTrail, linearModel, newModel, uploadVersion } from './model-flow';

/**
 * HEAD on a model's download URL answers the file's headers without the file: before, the gateway
 * sent it on as a GET, so the models service read and decrypted the whole object, streamed it to
 * the gateway (which metered it as downloaded bytes) and recorded a `model.download` of its bytes,
 * though no byte reached the client.
 */
describe('HEAD on a model download', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let scientist: string;
  let viewer: string;
  let other: string;

  beforeAll(async () => {
    stack = await startTestStack();
    [acme, globex] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    [scientist, viewer, other] = await Promise.all([acme.token('data_scientist'), acme.token('viewer'), globex.token('admin')]);
  });
  afterAll(() => stack?.stop());

  it('answers the headers a GET would, with no body, no download recorded and no object read', async () => {
    const modelId = await newModel(stack, scientist, 'headed');
    const onnx = linearModel();
    const v1 = await uploadVersion(stack, scientist, modelId, onnx);
    const url = `${stack.gatewayUrl}/downloads/models/${v1.id}`;
    // The object itself is gone: a HEAD must not need it (a GET would now fail).
    const [row] = (await stack.platform.runtime.db.query(`SELECT object_key FROM \`${acme.schema}\`.model_versions WHERE id = ?`, [v1.id])) as Array<{ object_key: string }>;
    const scope = await stack.platform.runtimes.models.scopes.forPrincipal({ kind: 'user', subject: 'test', tenantId: acme.id, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined });
    const before = (await auditTrail(stack, acme)).filter((e) => e.action === 'model.download').length;
    const head = await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${scientist}` } });
    expect({
      status: head.status,
      length: head.headers.get('content-length'),
      disposition: head.headers.get('content-disposition'),
      sha256: head.headers.get('x-content-sha256'),
      body: (await head.arrayBuffer()).byteLength,
    }).toEqual({ status: 200, length: String(onnx.length), disposition: 'attachment; filename="headed-v1.onnx"', sha256: createHash('sha256').update(onnx).digest('hex'), body: 0 });
    expect((await auditTrail(stack, acme)).filter((e) => e.action === 'model.download').length).toBe(before);

    await scope.bucket.remove(row!.object_key);
    const headWithoutObject = await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${scientist}` } });
    expect(headWithoutObject.status).toBe(200);

    // The same permission as a GET, and another tenant's version is not found.
    expect((await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${viewer}` } })).status).toBe(403);
    expect((await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${other}` } })).status).toBe(404);
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(401);
    expect((await fetch(`${stack.gatewayUrl}/downloads/models/${randomUUID()}`, { method: 'HEAD', headers: { authorization: `Bearer ${scientist}` } })).status).toBe(404);
    expect((await auditTrail(stack, acme)).filter((e) => e.action === 'model.download').length).toBe(before);
  });
});
