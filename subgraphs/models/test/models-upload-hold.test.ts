import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildMlp } from '@tessera/onnx';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { completeUpload, newModel, reserveUpload, uploadStatus, waitForUploadStatus, type PutResult } from './model-flow';

const KiB = 1024;
const MiB = 1024 * KiB;
/** The models service's upload memory in this file: 4 MiB, so one tenant may hold 2 MiB and two such uploads hold nearly all of it. */
const memoryBytes = 4 * MiB;
/** How long an upload may hold its reservation before its whole body is in. */
const holdMs = 4_000;
/**
 * The gateway's pace floor, as loose as it may be set: 1 KiB/s after 1 s. The trickles below send
 * 8 KiB/s, well above it, so the gateway never cuts them: at that pace a 1 MiB file takes over two minutes.
 */
const uploadPace = { minBytesPerSecond: KiB, graceMs: 1_000 };

/**
 * A valid ONNX file just under one tenant's share (2 MiB): any two of them leave no room for a
 * third. Over 1 MiB, so the gateway does not drain the rest of one the models service gave up.
 */
function nearShareModel(seed: number): Uint8Array {
  const width = 716;
  return buildMlp({ layers: [{ weights: Array.from({ length: width }, (_, i) => Array.from({ length: width }, (_, j) => ((i + j + seed) % 7) / 100)), bias: new Array<number>(width).fill(0), activation: 'none' }] });
}

interface Sending {
  /** The answer, once it comes. */
  answer: Promise<PutResult>;
  /** Settles when the connection closes. */
  closed: Promise<void>;
  /** Stops sending and closes the connection. */
  stop(): void;
}

/**
 * A PUT through the gateway that sends `body` in pieces of `pieceBytes`, one every `everyMs`
 * (the first at once), until the body is sent or an answer comes.
 */
function send(uploadUrl: string, token: string, body: Uint8Array, ca: string, pieceBytes: number, everyMs: number): Sending {
  // A keep-alive connection, as a client's: one that asks for close would be closed after any answer.
  const agent = new Agent({ keepAlive: true, ca });
  const request = httpsRequest(uploadUrl, { method: 'PUT', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(body.length) } });
  request.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => request.once('socket', (socket) => socket.once('close', () => resolve())));
  let offset = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    const piece = body.subarray(offset, offset + pieceBytes);
    offset += piece.length;
    if (offset >= body.length) request.end(Buffer.from(piece));
    else {
      request.write(Buffer.from(piece));
      timer = setTimeout(next, everyMs);
    }
  };
  const answer = new Promise<PutResult>((resolve, reject) => {
    request.once('response', (response: IncomingMessage) => {
      clearTimeout(timer);
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as PutResult['body'] }));
      response.on('error', reject);
    });
    void closed.then(() => reject(new Error('the connection closed without an answer')));
  });
  answer.catch(() => undefined);
  next();
  return {
    answer,
    closed,
    stop: () => {
      clearTimeout(timer);
      request.destroy();
      agent.destroy();
    },
  };
}

/** The answer, or undefined if none came within `ms` (the upload is still being sent). */
async function answerWithin(sending: Sending, ms: number): Promise<PutResult | undefined> {
  // (An unref'd timer: a race lost leaves it running past the test.)
  return Promise.race([sending.answer, sleep(ms, undefined, { ref: false })]);
}


/**
 * An upload reserves its declared size of the models service's upload memory before its body is
 * read. The gateway's pace floor bounds only its rate, so a large file trickled just above it held
 * its memory for hours: two tenants doing so refused every tenant's model uploads meanwhile. The
 * models service now holds a reservation at most MODEL_UPLOAD_MEMORY_HOLD_MS: a body not all in by
 * then is cut (408 BAD_REQUEST, reason UPLOAD_TIMEOUT), its memory released, nothing stored, and
 * the upload stays PENDING to be sent again.
 */
describe('models: an upload holds the upload memory for a bounded time', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let c: TestTenant;
  const sendings: Sending[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ transfers: { uploadPace }, modelUploads: { memoryBytes, memoryHoldMs: holdMs } });
    [a, b, c] = await Promise.all([stack.createTenant(), stack.createTenant(), stack.createTenant()]);
  });
  afterEach(() => {
    for (const sending of sendings.splice(0)) sending.stop();
  });
  afterAll(() => stack?.stop());

  it('two tenants trickling above the pace floor are cut after the hold time; the third tenant refused meanwhile then uploads, and the cut uploads are sent again', async () => {
    const [fileA, fileB, fileC] = [nearShareModel(1), nearShareModel(2), nearShareModel(3)];
    expect(fileA.length).toBeGreaterThan(Math.max(MiB, memoryBytes / 3));
    expect(fileA.length).toBeLessThanOrEqual(memoryBytes / 2);
    const [tokenA, tokenB, tokenC] = await Promise.all([a.token('data_scientist'), b.token('data_scientist'), c.token('data_scientist')]);
    const [modelA, modelB, modelC] = await Promise.all([newModel(stack, tokenA, 'a'), newModel(stack, tokenB, 'b'), newModel(stack, tokenC, 'c')]);
    const uploadA = await reserveUpload(stack, tokenA, modelA, fileA.length);
    const uploadB = await reserveUpload(stack, tokenB, modelB, fileB.length);
    const uploadC = await reserveUpload(stack, tokenC, modelC, fileC.length);

    // 8 KiB every second: eight times the gateway's floor.
    const trickleA = send(uploadA.uploadUrl, tokenA, fileA, stack.pki.ca, 8 * KiB, 1_000);
    const trickleB = send(uploadB.uploadUrl, tokenB, fileB, stack.pki.ca, 8 * KiB, 1_000);
    sendings.push(trickleA, trickleB);
    await waitForUploadStatus(stack, a, uploadA.id, 'RECEIVING');
    await waitForUploadStatus(stack, b, uploadB.id, 'RECEIVING');

    // While they hold the memory, the third tenant's upload is refused before its body is read.
    const refusal = send(uploadC.uploadUrl, tokenC, fileC, stack.pki.ca, fileC.length, 0);
    sendings.push(refusal);
    const refused = await answerWithin(refusal, 10_000);
    expect(refused?.status).toBe(503);
    expect(refused?.body.errors?.[0]?.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', limit: 'modelUploadMemory' });
    expect(await uploadStatus(stack, c, uploadC.id)).toBe('PENDING');

    // Within a few hold times both trickles are cut, typed, long before their bodies could be in.
    const [cutA, cutB] = await Promise.all([answerWithin(trickleA, 4 * holdMs), answerWithin(trickleB, 4 * holdMs)]);
    for (const cut of [cutA, cutB]) {
      expect(cut?.status).toBe(408);
      expect(cut?.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_REQUEST', reason: 'UPLOAD_TIMEOUT', limit: 'modelUploadMemoryHold', maxDurationMs: holdMs });
      const receivedBytes = (cut?.body.errors?.[0]?.extensions as Record<string, unknown> | undefined)?.['receivedBytes'] as number;
      expect(receivedBytes).toBeGreaterThanOrEqual(8 * KiB);
      expect(receivedBytes).toBeLessThan(fileA.length);
    }
    // The rest of a cut body is not read on (the client sends it again whole): the gateway closes the connection.
    const closedSoon = (trickle: Sending) => Promise.race([trickle.closed.then(() => true), sleep(5_000, false, { ref: false })]);
    expect(await closedSoon(trickleA)).toBe(true);
    expect(await closedSoon(trickleB)).toBe(true);
    // Nothing stored, and the uploads stay usable.
    expect(await uploadStatus(stack, a, uploadA.id)).toBe('PENDING');
    expect(await uploadStatus(stack, b, uploadB.id)).toBe('PENDING');

    // The third tenant's upload, sent again at a normal speed, fits now.
    const again = send(uploadC.uploadUrl, tokenC, fileC, stack.pki.ca, fileC.length, 0);
    sendings.push(again);
    const third = await answerWithin(again, 20_000);
    expect(third?.status).toBe(200);

    // Both cut uploads sent again to the same URLs, whole and at once: they fit together only if
    // the trickles' reservations are all given back (each holds nearly a tenant's whole share).
    const againA = send(uploadA.uploadUrl, tokenA, fileA, stack.pki.ca, fileA.length >> 1, 200);
    const againB = send(uploadB.uploadUrl, tokenB, fileB, stack.pki.ca, fileB.length >> 1, 200);
    sendings.push(againA, againB);
    const [storedA, storedB] = await Promise.all([answerWithin(againA, 20_000), answerWithin(againB, 20_000)]);
    expect(storedA?.status).toBe(200);
    expect(storedB?.status).toBe(200);

    for (const [token, id, file] of [[tokenA, uploadA.id, fileA], [tokenB, uploadB.id, fileB], [tokenC, uploadC.id, fileC]] as const) {
      const version = expectNoErrors(await stack.query<{ completeModelUpload: { sha256: string; byteSize: number } }>(token, completeUpload, { id })).completeModelUpload;
      expect(version).toMatchObject({ sha256: createHash('sha256').update(file).digest('hex'), byteSize: file.length });
    }
  });

  it('an upload slower than the gateway needs but all in within the hold time goes through', async () => {
    const token = await a.token('data_scientist');
    const modelId = await newModel(stack, token, 'steady');
    const file = nearShareModel(4);
    const upload = await reserveUpload(stack, token, modelId, file.length);
    // In four pieces, one every 500 ms: all in after 1.5 s, under the hold time.
    const steady = send(upload.uploadUrl, token, file, stack.pki.ca, Math.ceil(file.length / 4), 500);
    sendings.push(steady);
    const answer = await answerWithin(steady, 20_000);
    expect(answer?.status).toBe(200);
    expect(await uploadStatus(stack, a, upload.id)).toBe('UPLOADED');
  });
});
