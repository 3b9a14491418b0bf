import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { auditTrail, completeUpload, linearModel, newModel, replaceVersionObject, reserveUpload, uploadVersion } from './model-flow';

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

  /**
   * A download is as long-lived as a subscription socket (minutes at the slowest pace allowed), so
   * it is asked again like one: before, a download begun with an API key went on streaming the
   * tenant's file after the key's account was deleted, and one begun before its tenant was
   * suspended (or asked to be erased, which suspends it) went on after the suspension.
   */
  it('a download in progress ends once the key is deleted, the tenant suspended or the access token expired', async () => {
    const admin = await acme.token('admin');
    const modelId = await newModel(stack, scientist, 'withdrawn');
    const v1 = await uploadVersion(stack, scientist, modelId, linearModel());
    // The version's object replaced by 8 MiB under the model's key: far more than the sockets on the way buffer.
    const big = await replaceVersionObject(stack, acme, modelId, v1.id, 8 * 1024 * 1024);
    const url = `${stack.gatewayUrl}/downloads/models/${v1.id}`;

    /** Starts a download, stops reading after its first chunk, withdraws access, then reads on: the bytes it got. */
    const downloadAcross = async (token: string, withdraw: () => Promise<void>) => {
      const request = httpsRequest(url, { headers: { authorization: `Bearer ${token}` }, ca: stack.pki.ca });
      request.end();
      const [response] = (await once(request, 'response')) as [IncomingMessage];
      expect(response.statusCode).toBe(200);
      let received = 0;
      response.on('data', (chunk: Buffer) => (received += chunk.length));
      response.pause();
      await withdraw();
      // Refused from the next request on; the open download is asked again within a second (the
      // re-check's pace with the test stack's tenant cache lifetime of 0).
      expect((await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } })).status).toBeGreaterThanOrEqual(401);
      await sleep(1_300);
      const ended = new Promise<void>((resolve) => {
        response.once('end', resolve);
        response.once('aborted', resolve);
        response.once('error', () => resolve());
        response.once('close', resolve);
      });
      response.resume();
      await ended;
      request.destroy();
      return received;
    };

    const createAccount = `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id } }`;
    const createKey = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`;
    const account = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(admin, createAccount, { input: { name: 'downloader', role: 'DATA_SCIENTIST' } })).createServiceAccount;
    const key = expectNoErrors(await stack.query<{ createApiKey: { secret: string } }>(admin, createKey, { input: { serviceAccountId: account.id } })).createApiKey.secret;
    const deleteAccount = `mutation($id: ID!) { deleteServiceAccount(id: $id) { id } }`;
    const withKey = await downloadAcross(key, async () => void expectNoErrors(await stack.query(admin, deleteAccount, { id: account.id })));
    expect(withKey).toBeLessThan(big.length);

    const platformAdmin = await stack.platformAdminToken();
    const suspend = `mutation($id: ID!) { suspendTenant(id: $id) { status } }`;
    const resume = `mutation($id: ID!) { resumeTenant(id: $id) { status } }`;
    try {
      const suspended = await downloadAcross(scientist, async () => void expectNoErrors(await stack.query(platformAdmin, suspend, { id: acme.id })));
      expect(suspended).toBeLessThan(big.length);
    } finally {
      expectNoErrors(await stack.query(platformAdmin, resume, { id: acme.id }));
    }
    // An access token that expires mid-download ends it, as it closes a subscription socket.
    const shortLived = await stack.issueToken({ tenant: acme.id, roles: ['data_scientist'], tokenTtlSeconds: 2 });
    const expired = await downloadAcross(shortLived, () => sleep(3_000));
    expect(expired).toBeLessThan(big.length);
    // A download nobody withdrew still arrives whole.
    const whole = await fetch(url, { headers: { authorization: `Bearer ${scientist}` } });
    expect(Buffer.from(await whole.arrayBuffer()).equals(big)).toBe(true);
  });
  it('an upload in progress ends once its key is deleted or its access token expires: the typed refusal, the rest unread, nothing stored', async () => {
    const admin = await acme.token('admin');
    const modelId = await newModel(stack, scientist, 'incoming');
    const byteSize = 16 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 1);

    /**
     * Starts an upload and keeps its body arriving (64 KiB every 200 ms, well inside the upload pace)
     * while `withdraw` runs; the answer that ends it, and how much was sent, once answered or after 8 s.
     */
    const uploadAcross = async (token: string, withdraw: () => Promise<void>) => {
      const upload = await reserveUpload(stack, token, modelId, byteSize);
      const request = httpsRequest(upload.uploadUrl, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(byteSize) }, ca: stack.pki.ca });
      request.on('error', () => undefined);
      let response: IncomingMessage | undefined;
      let body = '';
      let answerRead: Promise<void> = Promise.resolve();
      request.once('response', (reply: IncomingMessage) => {
        response = reply;
        reply.setEncoding('utf8');
        reply.on('data', (text: string) => (body += text));
        answerRead = new Promise((resolve) => {
          reply.once('end', resolve);
          reply.once('close', resolve);
          reply.once('error', () => resolve());
        });
      });
      request.write(chunk);
      let sent = chunk.length;
      await withdraw();
      const until = Date.now() + 8_000;
      while (response === undefined && Date.now() < until) {
        await sleep(200);
        if (!request.destroyed && request.writable) {
          request.write(chunk);
          sent += chunk.length;
        }
      }
      await answerRead;
      request.destroy();
      return { status: response?.statusCode, body: body ? (JSON.parse(body) as { errors?: Array<{ extensions?: { code?: string } }> }) : undefined, sent, uploadId: upload.id };
    };

    const createAccount = `mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id } }`;
    const createKey = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`;
    const account = expectNoErrors(await stack.query<{ createServiceAccount: { id: string } }>(admin, createAccount, { input: { name: 'uploader', role: 'DATA_SCIENTIST' } })).createServiceAccount;
    const key = expectNoErrors(await stack.query<{ createApiKey: { secret: string } }>(admin, createKey, { input: { serviceAccountId: account.id } })).createApiKey.secret;
    const deleteAccount = `mutation($id: ID!) { deleteServiceAccount(id: $id) { id } }`;
    const withKey = await uploadAcross(key, async () => void expectNoErrors(await stack.query(admin, deleteAccount, { id: account.id })));
    expect(withKey.status === 401 || withKey.status === 403).toBe(true);
    expect(['FORBIDDEN', 'UNAUTHENTICATED']).toContain(withKey.body?.errors?.[0]?.extensions?.code);
    expect(withKey.sent).toBeLessThan(byteSize);

    // An access token that expires while its body arrives: refused UNAUTHENTICATED at the next re-check.
    const shortLived = await stack.issueToken({ tenant: acme.id, roles: ['data_scientist'], tokenTtlSeconds: 2 });
    const expired = await uploadAcross(shortLived, async () => undefined);
    expect(expired.status).toBe(401);
    expect(expired.body?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(expired.sent).toBeLessThan(byteSize);

    // Neither cut upload became a version: completing one is refused, and the model has none.
    for (const uploadId of [withKey.uploadId, expired.uploadId]) {
      expect(errorCodes(await stack.query(scientist, completeUpload, { id: uploadId }))).not.toEqual([]);
    }
    const versions = expectNoErrors(await stack.query<{ model: { versions: { edges: unknown[] } } }>(scientist, 'query($id: ID!) { model(id: $id) { versions { edges { node { id } } } } }', { id: modelId }));
    expect(versions.model.versions.edges).toEqual([]);
  });
});
