import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildMlp } from '@tessera/onnx';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { completeUpload, createUpload, linearModel, newModel, predict, putBytes, reserveUpload, rowsInput, uploadStatus, uploadVersion, waitForUploadStatus, type PutResult } from './model-flow';

const MiB = 1024 * 1024;
/** The models service's upload memory in this file: 6 MiB, so one tenant may hold 3 MiB. */
const memoryBytes = 6 * MiB;
const share = memoryBytes / 2;

/**
 * A valid ONNX file of about 2.2 MiB: two of them are over one tenant's share, three over the
 * total; over 1 MiB, a refused one is not drained by the gateway (its connection is closed after the answer).
 */
const width = 760;
const large = buildMlp({ layers: [{ weights: Array.from({ length: width }, (_, i) => Array.from({ length: width }, (_, j) => ((i + j) % 7) / 100)), bias: new Array<number>(width).fill(0), activation: 'none' }] });

interface HeldUpload {
  /** Sends the rest and waits for the answer. */
  finish(): Promise<PutResult>;
  /** Cuts the connection with part of the body sent. */
  abort(): void;
}

/** A PUT through the gateway that has sent half its body and waits (its upload is RECEIVING once this resolves). */
async function holdUpload(stack: TestStack, tenant: TestTenant, uploadUrl: string, uploadId: string, token: string, body: Uint8Array): Promise<HeldUpload> {
  const request = httpsRequest(uploadUrl, { method: 'PUT', ca: stack.pki.ca, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(body.length) } });
  request.on('error', () => undefined);
  const answer = new Promise<PutResult>((resolve, reject) => {
    request.once('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as PutResult['body'] }));
      response.on('error', reject);
    });
  });
  answer.catch(() => undefined);
  request.write(Buffer.from(body.subarray(0, body.length >> 1)));
  await waitForUploadStatus(stack, tenant, uploadId, 'RECEIVING');
  return {
    finish: () => {
      request.end(Buffer.from(body.subarray(body.length >> 1)));
      return answer;
    },
    abort: () => request.destroy(),
  };
}

/**
 * A PUT that sends half its body and stops: its answer, and whether the gateway closed the
 * connection within 5 s of it (a drained body would keep it open until the 30 s idle timeout).
 */
async function refusedHalfway(stack: TestStack, uploadUrl: string, token: string, body: Uint8Array) {
  // A keep-alive connection, as a client's: one that asks for close would be closed after any answer.
  const agent = new Agent({ keepAlive: true, ca: stack.pki.ca });
  const request = httpsRequest(uploadUrl, { method: 'PUT', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(body.length) } });
  request.on('error', () => undefined);
  const closed = new Promise<boolean>((resolve) => request.once('socket', (socket) => socket.once('close', () => resolve(true))));
  request.write(Buffer.from(body.subarray(0, body.length >> 1)));
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const answer = { status: response.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as PutResult['body'] };
  const closedSoon = await Promise.race([closed, sleep(5_000).then(() => false)]);
  request.destroy();
  agent.destroy();
  return { ...answer, closedSoon };
}


/** PUTs and returns the answer with its retry-after header. */
async function put(url: string, token: string, body: Uint8Array) {
  const response = await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: Buffer.from(body) });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: JSON.parse(await response.text()) as PutResult['body'] };
}

/**
 * The models service holds every upload it receives in memory until it is validated and stored;
 * the bytes it may hold at once are bounded (MODEL_UPLOAD_MEMORY_BYTES), one tenant at most half
 * of them. An upload reserves its declared size before its body is read; a refusal is retryable
 * and leaves the upload PENDING; every way out gives the bytes back. Large files are validated
 * on a thread, so they run here through it.
 */
describe('models: upload memory', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let c: TestTenant;
  let tokenA: string;
  let tokenB: string;
  let tokenC: string;
  let predictModelB: string;

  beforeAll(async () => {
    stack = await startTestStack({ modelUploads: { memoryBytes } });
    [a, b, c] = await Promise.all([stack.createTenant(), stack.createTenant(), stack.createTenant()]);
    [tokenA, tokenB, tokenC] = await Promise.all([a.token('data_scientist'), b.token('data_scientist'), c.token('data_scientist')]);
    predictModelB = await newModel(stack, tokenB, 'served');
    await uploadVersion(stack, tokenB, predictModelB, linearModel());
  });
  afterAll(() => stack?.stop());

  it('a file larger than one tenant may hold is refused when the upload is created', async () => {
    const modelId = await newModel(stack, tokenA, 'too-large');
    const response = await stack.query(tokenA, createUpload, { input: { modelId, filename: 'model.onnx', byteSize: share + 1 } });
    expect(errorCodes(response)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(response.errors?.[0]?.extensions).toMatchObject({ field: 'byteSize', maxBytes: share });
    expect(await stack.adminQuery<unknown[]>(`SELECT id FROM \`${a.schema}\`.model_uploads WHERE model_id = ?`, [modelId])).toEqual([]);
  });

  it('over its share a tenant is RATE_LIMITED, over the total anyone is SERVICE_UNAVAILABLE; the upload stays PENDING and goes through later, others upload and predict meanwhile', async () => {
    const modelA = await newModel(stack, tokenA, 'a');
    const modelB = await newModel(stack, tokenB, 'b');
    const modelC = await newModel(stack, tokenC, 'c');
    const first = await reserveUpload(stack, tokenA, modelA, large.length);
    const held = await holdUpload(stack, a, first.uploadUrl, first.id, tokenA, large);

    // A second file of the same tenant does not fit in its share: refused before a byte is read.
    const second = await reserveUpload(stack, tokenA, modelA, large.length);
    const refused = await put(second.uploadUrl, tokenA, large);
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'modelUploadMemoryPerTenant', limitValue: share, retryAfterSeconds: 5 });
    expect(refused.retryAfter).toBe('5');
    expect(await uploadStatus(stack, a, second.id)).toBe('PENDING');
    // The client will send it again whole: the rest of a refused body is not read, the connection is closed.
    const halfway = await refusedHalfway(stack, second.uploadUrl, tokenA, large);
    expect(halfway).toMatchObject({ status: 429, closedSoon: true });
    expect(halfway.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await uploadStatus(stack, a, second.id)).toBe('PENDING');

    // Another tenant's upload fits in the rest, and is held while a third tenant's is over the total.
    const ofB = await reserveUpload(stack, tokenB, modelB, large.length);
    const heldB = await holdUpload(stack, b, ofB.uploadUrl, ofB.id, tokenB, large);
    const ofC = await reserveUpload(stack, tokenC, modelC, large.length);
    const unavailable = await put(ofC.uploadUrl, tokenC, large);
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', limit: 'modelUploadMemory', retryAfterSeconds: 5 });
    expect(await uploadStatus(stack, c, ofC.id)).toBe('PENDING');

    // Predictions are not held up by the uploads in progress.
    const prediction = expectNoErrors(await predict(stack, tokenB, { modelId: predictModelB, version: 1, inputs: [rowsInput([[1, 2, 3]])] }));
    expect(prediction.predict.outputs[0]!.data[0]).toBeCloseTo(0.5 - 2.5 + 6 + 0.75, 5);

    expect((await heldB.finish()).status).toBe(200);
    expect((await held.finish()).status).toBe(200);

    // Memory given back: the refused uploads are sent again, whole, to the same URLs.
    expect((await putBytes(second.uploadUrl, tokenA, large)).status).toBe(200);
    expect((await putBytes(ofC.uploadUrl, tokenC, large)).status).toBe(200);
    for (const [token, id] of [[tokenA, first.id], [tokenA, second.id], [tokenB, ofB.id], [tokenC, ofC.id]] as const) {
      const version = expectNoErrors(await stack.query<{ completeModelUpload: { id: string; sha256: string; byteSize: number } }>(token, completeUpload, { id })).completeModelUpload;
      expect(version).toMatchObject({ sha256: createHash('sha256').update(large).digest('hex'), byteSize: large.length });
      // What was stored is the file itself (its memory went to the validation thread and back).
      const download = await fetch(`${stack.gatewayUrl}/downloads/models/${version.id}`, { headers: { authorization: `Bearer ${token}` } });
      expect(download.status).toBe(200);
      expect(Buffer.compare(Buffer.from(await download.arrayBuffer()), Buffer.from(large))).toBe(0);
    }
  });

  it('gives the memory back when the client goes away mid-body and when the file is refused: a full share fits again each time', async () => {
    const modelId = await newModel(stack, tokenA, 'released');
    const notOnnx = new Uint8Array(share).fill(7);

    const cut = await reserveUpload(stack, tokenA, modelId, share);
    const held = await holdUpload(stack, a, cut.uploadUrl, cut.id, tokenA, notOnnx);
    held.abort();
    await waitForUploadStatus(stack, a, cut.id, 'FAILED');

    // Each of these needs the tenant's whole share: any byte still held would make it RATE_LIMITED.
    for (let round = 0; round < 2; round++) {
      const upload = await reserveUpload(stack, tokenA, modelId, share);
      const answer = await put(upload.uploadUrl, tokenA, notOnnx);
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NOT_ONNX' });
      expect(await uploadStatus(stack, a, upload.id)).toBe('FAILED');
    }

    // A body shorter than declared is refused; a valid file is stored; the share is whole again after both.
    const short = await reserveUpload(stack, tokenA, modelId, share);
    expect((await put(short.uploadUrl, tokenA, notOnnx.subarray(1))).status).toBe(400);
    const valid = await reserveUpload(stack, tokenA, modelId, large.length);
    const heldValid = await holdUpload(stack, a, valid.uploadUrl, valid.id, tokenA, large);
    expect((await heldValid.finish()).status).toBe(200);
    const whole = await reserveUpload(stack, tokenA, modelId, share);
    expect((await put(whole.uploadUrl, tokenA, notOnnx)).body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NOT_ONNX' });
  });
});
