import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { createInternalContextSigner, internalContextHeader } from '@tessera/auth';
import { buildLinearRegression } from '@tessera/onnx';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { quoteIdentifier } from '@tessera/tenancy';
import { rawGatewayRequest, rawSubgraphRequest, sleep, waitFor, type RawAnswer } from './support';

const KiB = 1024;
const MiB = 1024 * KiB;
// Small values, so a drip is cut within seconds: every body gets 2 s, then must have averaged 512 B/s beyond them.
const idleTimeoutMs = 3_000;
const uploadPace = { minBytesPerSecond: 512, graceMs: 2_000 };
/** The models service's upload memory: 2 MiB, so one tenant may hold 1 MiB and two such uploads hold it all. */
const modelMemoryBytes = 2 * MiB;
/** The datasets service's upload spool: 8 KiB, 4 KiB of it per tenant. */
const spool = { totalBytes: 8 * KiB, perTenantBytes: 4 * KiB };

const createModel = 'mutation($input: CreateModelInput!) { createModel(input: $input) { id } }';
const createModelUpload = 'mutation($input: CreateModelUploadInput!) { createModelUpload(input: $input) { id uploadUrl } }';
const createDataset = 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }';
const createDatasetUpload = 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }';

interface Drip {
  socket: TLSSocket;
  answer: RawAnswer;
  stop(): void;
}

/**
 * A PUT whose headers and `prefix` go at once, then one byte every 500 ms — within the idle
 * timeout, far under the minimum rate — for as long as the connection stays open.
 */
async function drip(stack: TestStack, uploadUrl: string, token: string, declaredBytes: number, prefix: string): Promise<Drip> {
  const path = new URL(uploadUrl).pathname;
  const { socket, answer } = await rawGatewayRequest(stack, `PUT ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declaredBytes}`, prefix);
  const timer = setInterval(() => {
    if (!socket.destroyed && socket.writable) socket.write('a');
  }, 500);
  socket.once('close', () => clearInterval(timer));
  return { socket, answer, stop: () => (clearInterval(timer), socket.destroy()) };
}

async function put(url: string, token: string, body: Uint8Array | string): Promise<{ status: number; extensions: Record<string, unknown> | undefined }> {
  const response = await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: typeof body === 'string' ? body : Buffer.from(body), signal: AbortSignal.timeout(20_000) });
  const json = (await response.json()) as { errors?: Array<{ extensions: Record<string, unknown> }> };
  return { status: response.status, extensions: json.errors?.[0]?.extensions };
}

/** A PUT whose body goes in `parts` pieces, one every `everyMs`: an honest client on a slow link. */
async function paced(stack: TestStack, uploadUrl: string, token: string, body: string, parts: number, everyMs: number): Promise<{ status: number | undefined; ms: number }> {
  const size = Math.ceil(body.length / parts);
  const started = Date.now();
  const path = new URL(uploadUrl).pathname;
  const { socket, answer } = await rawGatewayRequest(stack, `PUT ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: text/csv\r\nContent-Length: ${body.length}`, body.slice(0, size));
  try {
    for (let offset = size; offset < body.length; offset += size) {
      await sleep(everyMs);
      socket.write(body.slice(offset, offset + size));
    }
    // The subgraph's answer is relayed chunked: whole at its last chunk.
    await waitFor(() => answer.status !== undefined && answer.body.endsWith('\r\n0\r\n\r\n'), 20_000);
    return { status: answer.status, ms: Date.now() - started };
  } finally {
    socket.destroy();
  }
}

async function uploadRow(stack: TestStack, tenant: TestTenant, table: 'model_uploads' | 'dataset_uploads', id: string): Promise<{ status: string | undefined; reservations: number }> {
  const schema = quoteIdentifier(tenant.schema);
  const [row] = (await stack.platform.runtime.db.query(
    `SELECT u.status, (SELECT COUNT(*) FROM ${schema}.quota_reservations r WHERE r.id = u.id) AS reservations FROM ${schema}.${table} u WHERE u.id = ?`,
    [id],
  )) as Array<{ status: string; reservations: number | string }>;
  return { status: row?.status, reservations: Number(row?.reservations) };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 200 && !done(value); i++) {
    await sleep(25);
    value = await read();
  }
  return value;
}

/**
 * An upload's body may take as long as its size needs at a minimum rate (after a grace period),
 * not for ever: one that drips a byte now and then — within the idle timeout — is cut with a typed
 * 408, and what it held (its tenant's transfer slot, the models service's upload memory, the
 * datasets service's spool bytes, its storage reservation) comes back. A slow but steady one goes through.
 */
describe('upload pace at the gateway: a minimum average rate after a grace period', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let c: TestTenant;
  const drips: Drip[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ transfers: { perTenant: 1, idleTimeoutMs, uploadPace }, modelUploads: { memoryBytes: modelMemoryBytes }, uploadSpool: spool });
    [a, b, c] = await Promise.all([stack.createTenant(), stack.createTenant(), stack.createTenant()]);
  }, 120_000);

  afterEach(() => {
    for (const d of drips.splice(0)) d.stop();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function modelUpload(tenant: TestTenant, byteSize: number): Promise<{ id: string; uploadUrl: string; token: string }> {
    const token = await tenant.token('admin');
    const modelId = expectNoErrors(await stack.query<{ createModel: { id: string } }>(token, createModel, { input: { name: `m-${Math.random().toString(36).slice(2)}` } })).createModel.id;
    const upload = expectNoErrors(await stack.query<{ createModelUpload: { id: string; uploadUrl: string } }>(token, createModelUpload, { input: { modelId, filename: 'm.onnx', byteSize } })).createModelUpload;
    return { ...upload, token };
  }

  async function datasetUpload(tenant: TestTenant, byteSize: number): Promise<{ id: string; uploadUrl: string; token: string }> {
    const token = await tenant.token('admin');
    const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, createDataset, { input: { name: `d-${Math.random().toString(36).slice(2)}` } })).createDataset.id;
    const upload = expectNoErrors(await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, createDatasetUpload, { input: { datasetId, filename: 'd.csv', byteSize } })).createDatasetUpload;
    return { ...upload, token };
  }

  it("cuts model uploads that drip: 408 UPLOAD_TOO_SLOW, and the upload memory and the tenant's slot come back", async () => {
    // Two tenants' uploads of a tenant's whole share each hold all the models service's upload memory.
    const heldA = await modelUpload(a, MiB);
    const heldB = await modelUpload(b, MiB);
    const dripA = await drip(stack, heldA.uploadUrl, heldA.token, MiB, 'a');
    const dripB = await drip(stack, heldB.uploadUrl, heldB.token, MiB, 'a');
    drips.push(dripA, dripB);
    const receiving = (t: TestTenant, id: string) => eventually(() => uploadRow(stack, t, 'model_uploads', id), (row) => row.status === 'RECEIVING');
    expect((await receiving(a, heldA.id)).status).toBe('RECEIVING');
    expect((await receiving(b, heldB.id)).status).toBe('RECEIVING');

    // Meanwhile a third tenant's upload does not fit, and tenant A's one transfer slot is taken.
    const onnx = buildLinearRegression({ weights: [0.5, -1.25, 2], bias: 0.75 });
    const third = await modelUpload(c, onnx.length);
    const refused = await put(third.uploadUrl, third.token, onnx);
    expect({ status: refused.status, code: refused.extensions?.['code'], limit: refused.extensions?.['limit'] }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE', limit: 'modelUploadMemory' });
    const nextA = await modelUpload(a, onnx.length);
    const busy = await put(nextA.uploadUrl, nextA.token, onnx);
    expect({ status: busy.status, limit: busy.extensions?.['limit'] }).toEqual({ status: 429, limit: 'concurrentTransfers' });

    // Both drips are answered, typed, and their connections closed although they keep sending.
    expect(await waitFor(() => dripA.answer.closed && dripB.answer.closed, 20_000)).toBe(true);
    for (const d of [dripA, dripB]) {
      expect(d.answer.status).toBe(408);
      expect(JSON.parse(d.answer.body)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST', reason: 'UPLOAD_TOO_SLOW', minBytesPerSecond: 512, graceMs: 2_000 } }] });
    }
    expect(await waitFor(() => stack.platform.gateway.transfersInFlight(a.id) === 0 && stack.platform.gateway.transfersInFlight(b.id) === 0, 5_000)).toBe(true);

    // The models service saw each cut short: FAILED, its storage reservation released, its memory free.
    for (const [t, id] of [[a, heldA.id], [b, heldB.id]] as const) {
      expect(await eventually(() => uploadRow(stack, t, 'model_uploads', id), (row) => row.status === 'FAILED' && row.reservations === 0)).toEqual({ status: 'FAILED', reservations: 0 });
    }
    // The refused upload stayed PENDING: the same body to the same URL now fits; tenant A's slot is free again.
    expect((await put(third.uploadUrl, third.token, onnx)).status).toBe(200);
    expect((await put(nextA.uploadUrl, nextA.token, onnx)).status).toBe(200);
  }, 90_000);

  it("cuts a CSV upload that sent most of its body and then drips, and gives its spool bytes back", async () => {
    const csv = `a,b\n${'1,2\n'.repeat(900)}`;
    const held = await datasetUpload(a, csv.length);
    const heldB = await datasetUpload(b, csv.length);
    // 2.5 KB at once, then a byte at a time: the spool holds them, and a third tenant's body does not
    // fit beside them (5 000 + 3 604 bytes of 8 KiB). The drips are cut once the grace period and
    // what they sent at 512 B/s have passed: some 7 s, where 3 KB each took 8.
    const dripA = await drip(stack, held.uploadUrl, held.token, csv.length, csv.slice(0, 2_500));
    const dripB = await drip(stack, heldB.uploadUrl, heldB.token, csv.length, csv.slice(0, 2_500));
    drips.push(dripA, dripB);
    const third = await datasetUpload(c, csv.length);
    await sleep(300);
    const refused = await put(third.uploadUrl, third.token, csv);
    expect({ status: refused.status, limit: refused.extensions?.['limit'] }).toEqual({ status: 503, limit: 'csvUploadSpool' });

    expect(await waitFor(() => dripA.answer.closed && dripB.answer.closed, 20_000)).toBe(true);
    expect(dripA.answer.status).toBe(408);
    expect(JSON.parse(dripA.answer.body)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST', reason: 'UPLOAD_TOO_SLOW' } }] });
    expect(await waitFor(() => stack.platform.gateway.transfersInFlight(a.id) === 0, 5_000)).toBe(true);
    expect(await eventually(() => uploadRow(stack, a, 'dataset_uploads', held.id), (row) => row.status === 'FAILED' && row.reservations === 0)).toEqual({ status: 'FAILED', reservations: 0 });
    // The spool's bytes are back: the refused upload (still PENDING) goes through now.
    expect((await put(third.uploadUrl, third.token, csv)).status).toBe(200);
  }, 90_000);

  it('lets a slow but steady upload through although it takes longer than the idle timeout and the grace period', async () => {
    const csv = `a,b\n${'1,2\n'.repeat(900)}`;
    const upload = await datasetUpload(c, csv.length);
    // 8 pieces of ~450 B, one every 500 ms: about 1 KB/s, twice the minimum, for longer than the idle timeout.
    const answer = await paced(stack, upload.uploadUrl, upload.token, csv, 8, 500);
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeGreaterThan(idleTimeoutMs);
    expect((await uploadRow(stack, c, 'dataset_uploads', upload.id)).status).toBe('UPLOADED');
  }, 60_000);

  it('the models service cuts an upload whose gateway stopped sending without closing the connection, and releases its memory', async () => {
    // What the gateway would send, straight to the subgraph with the gateway's certificate; then
    // nothing more and no close, as from a gateway whose host vanished.
    const held = await modelUpload(a, MiB);
    const sign = await createInternalContextSigner(stack.config.internalContextKeys.privateJwk, { clientCertificate: stack.pki.identity('gateway')!.cert });
    const context = await sign({ kind: 'user', subject: 'upload-pace', tenantId: a.id, roles: ['admin'], clientId: undefined, requestId: randomUUID(), sourceIp: undefined }, 'models');
    const { socket, answer } = await rawSubgraphRequest(
      stack,
      'models',
      'gateway',
      `PUT /internal/uploads/${held.id} HTTP/1.1\r\nHost: models\r\nContent-Type: application/octet-stream\r\nContent-Length: ${MiB}\r\n${internalContextHeader}: ${context}`,
      'a'.repeat(1_000),
    );
    drips.push({ socket, answer, stop: () => socket.destroy() });
    expect((await eventually(() => uploadRow(stack, a, 'model_uploads', held.id), (row) => row.status === 'RECEIVING')).status).toBe('RECEIVING');
    // It holds tenant A's whole share of the upload memory meanwhile.
    const onnx = buildLinearRegression({ weights: [1, 2, 3], bias: 0 });
    const next = await modelUpload(a, onnx.length);
    const refused = await put(next.uploadUrl, next.token, onnx);
    expect({ status: refused.status, limit: refused.extensions?.['limit'] }).toEqual({ status: 429, limit: 'modelUploadMemoryPerTenant' });
    // Cut after twice the gateway's idle timeout without a byte (here 6 s), the upload failed and its storage reservation released.
    expect(await waitFor(() => answer.closed, idleTimeoutMs * 6)).toBe(true);
    expect(await eventually(() => uploadRow(stack, a, 'model_uploads', held.id), (row) => row.status === 'FAILED' && row.reservations === 0)).toEqual({ status: 'FAILED', reservations: 0 });
    // Its memory is free: the refused upload (still PENDING) fits now.
    expect((await put(next.uploadUrl, next.token, onnx)).status).toBe(200);
  }, 60_000);
});
