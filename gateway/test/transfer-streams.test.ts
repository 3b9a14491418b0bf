import { randomUUID } from 'node:crypto';
import { connect, type TLSSocket } from 'node:tls';
import { createHash } from 'node:crypto';
import { expectNoErrors, startTestStack, tenantState, type TestStack, type TestTenant } from '@tessera/testing';
import { quoteIdentifier } from '@tessera/tenancy';
import { rawGatewayRequest, sleep, storeLargeModelVersion, waitFor, type RawAnswer } from './support';

// Long enough that a loaded machine's event-loop stalls do not cut the uploads that trickle a byte every fifth of it.
const idleTimeoutMs = 3_000;
const createDataset = 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }';
const createUpload = 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id } }';

/**
 * A PUT to the gateway's upload route whose headers (and `prefix` of the body) are sent and then
 * nothing more: the client that stalls. `answer` is what came back so far.
 */
function stalledUpload(stack: TestStack, path: string, token: string, declaredBytes: number, prefix = ''): Promise<{ socket: TLSSocket; answer: RawAnswer }> {
  return rawGatewayRequest(stack, `PUT ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: text/csv\r\nContent-Length: ${declaredBytes}`, prefix);
}

async function put(stack: TestStack, path: string, token: string, body: string): Promise<{ status: number; code: unknown; limit: unknown; ms: number }> {
  const started = Date.now();
  const response = await fetch(`${stack.gatewayUrl}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body, signal: AbortSignal.timeout(20_000) });
  const json = (await response.json()) as { errors?: Array<{ extensions: Record<string, unknown> }> };
  return { status: response.status, code: json.errors?.[0]?.extensions['code'], limit: json.errors?.[0]?.extensions['limit'], ms: Date.now() - started };
}

describe('upload and download streams at the gateway: per-tenant slots, idle timeout', () => {
  let stack: TestStack;
  let noisy: TestTenant;
  let quiet: TestTenant;
  const sockets: TLSSocket[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ transfers: { idleTimeoutMs } });
    [noisy, quiet] = await Promise.all([stack.createTenant(), stack.createTenant()]);
  }, 120_000);

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("one tenant's stalled uploads take its own transfer slots, not the connections every tenant's uploads share", async () => {
    const token = await noisy.token('admin');
    // Eight uploads of its own that trickle a byte at a time, within the idle timeout: they stream.
    const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, createDataset, { input: { name: 'trickles' } })).createDataset.id;
    const trickling = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const upload = expectNoErrors(await stack.query<{ createDatasetUpload: { id: string } }>(token, createUpload, { input: { datasetId, filename: 'data.csv', byteSize: 1_000 } }));
        return stalledUpload(stack, `/uploads/datasets/${upload.createDatasetUpload.id}`, token, 1_000, 'a');
      }),
    );
    sockets.push(...trickling.map((s) => s.socket));
    const trickle = setInterval(() => trickling.forEach((s) => s.socket.write('a')), idleTimeoutMs / 5);
    try {
      expect(await waitFor(() => stack.platform.gateway.transfersInFlight(noisy.id) === 8, 5_000)).toBe(true);
      // Then more than the gateway's pool of connections to the datasets subgraph (128) that send nothing: each is refused, typed.
      const stalled = await Promise.all(Array.from({ length: 132 }, () => stalledUpload(stack, `/uploads/datasets/${randomUUID()}`, token, 1_000)));
      sockets.push(...stalled.map((s) => s.socket));
      expect(await waitFor(() => stalled.every((s) => s.answer.status !== undefined), 10_000)).toBe(true);
      expect(new Set(stalled.map((s) => s.answer.status))).toEqual(new Set([429]));
      expect(JSON.parse(stalled[0]!.answer.body)).toMatchObject({ errors: [{ extensions: { code: 'RATE_LIMITED', limit: 'concurrentTransfers', limitValue: 8, retryAfterSeconds: 1 } }] });
      expect(trickling.map((s) => s.answer.status)).toEqual(Array.from({ length: 8 }, () => undefined));

      // Another tenant's upload is answered at once (the id is unknown: the subgraph's own answer).
      const other = await put(stack, `/uploads/datasets/${randomUUID()}`, await quiet.token('admin'), 'a,b\n1,2\n');
      expect({ status: other.status, code: other.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(other.ms).toBeLessThan(idleTimeoutMs);
    } finally {
      clearInterval(trickle);
    }
    // A client that goes away gives its slot back.
    for (const s of trickling) s.socket.destroy();
    expect(await waitFor(() => stack.platform.gateway.transfersInFlight(noisy.id) === 0, 2_000)).toBe(true);
    const again = await put(stack, `/uploads/datasets/${randomUUID()}`, token, 'a,b\n1,2\n');
    expect({ status: again.status, code: again.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
  }, 60_000);

  it('an upload the subgraph refuses before its body arrived keeps its slot while the rest comes, and gives it back when the rest stops coming', async () => {
    const token = await noisy.token('admin');
    // Unknown ids, one byte sent: each is answered NOT_FOUND at once; the clients never send the rest.
    const refused = await Promise.all(Array.from({ length: 8 }, () => stalledUpload(stack, `/uploads/datasets/${randomUUID()}`, token, 1_000, 'a')));
    sockets.push(...refused.map((s) => s.socket));
    expect(await waitFor(() => refused.every((s) => s.answer.status !== undefined), 5_000)).toBe(true);
    expect(new Set(refused.map((s) => s.answer.status))).toEqual(new Set([404]));
    expect(stack.platform.gateway.transfersInFlight(noisy.id)).toBe(8);
    // The connections to the datasets subgraph are free meanwhile: another tenant's upload is answered at once.
    const other = await put(stack, `/uploads/datasets/${randomUUID()}`, await quiet.token('admin'), 'a,b\n1,2\n');
    expect({ status: other.status, code: other.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(other.ms).toBeLessThan(idleTimeoutMs);
    // After the idle timeout the connections are closed and the slots back.
    expect(await waitFor(() => refused.every((s) => s.answer.closed) && stack.platform.gateway.transfersInFlight(noisy.id) === 0, idleTimeoutMs * 4)).toBe(true);
  }, 60_000);

  it('an upload answered early whose client sends the rest is drained: the answer arrives and the connection stays usable', async () => {
    const token = await noisy.token('admin');
    const declared = 4 * 1024 * 1024;
    const { socket, answer } = await stalledUpload(stack, `/uploads/datasets/${randomUUID()}`, token, declared, 'a');
    sockets.push(socket);
    expect(await waitFor(() => answer.status !== undefined, 5_000)).toBe(true);
    expect(answer.status).toBe(404);
    socket.write(Buffer.alloc(declared - 1, 'a'));
    expect(await waitFor(() => stack.platform.gateway.transfersInFlight(noisy.id) === 0, 5_000)).toBe(true);
    const query = JSON.stringify({ query: '{ __typename }' });
    socket.write(`POST /graphql HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${query.length}\r\n\r\n${query}`);
    expect(await waitFor(() => answer.body.includes('"__typename":"Query"'), 5_000)).toBe(true);
    expect(answer.closed).toBe(false);
  }, 60_000);

  it('an upload whose body stops arriving is answered 408 BAD_REQUEST (UPLOAD_STALLED), and leaves no object, no reservation and no slot', async () => {
    const token = await quiet.token('admin');
    const dataset = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, createDataset, { input: { name: 'stalls' } }));
    const csv = 'a,b\n1,2\n3,4\n5,6\n';
    const upload = expectNoErrors(
      await stack.query<{ createDatasetUpload: { id: string } }>(token, createUpload, {
        input: { datasetId: dataset.createDataset.id, filename: 'data.csv', byteSize: csv.length },
      }),
    ).createDatasetUpload;
    const before = await tenantState(stack, quiet);

    const started = Date.now();
    const { socket, answer } = await stalledUpload(stack, `/uploads/datasets/${upload.id}`, token, csv.length, csv.slice(0, 6));
    sockets.push(socket);
    expect(await waitFor(() => answer.closed, idleTimeoutMs * 4)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(idleTimeoutMs - 100);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST', reason: 'UPLOAD_STALLED', idleTimeoutMs } }] });

    // The subgraph saw the upload cut short: failed, its bytes gone, its storage reservation released.
    const schema = quoteIdentifier(quiet.schema);
    expect(await waitFor(() => stack.platform.gateway.transfersInFlight(quiet.id) === 0, 2_000)).toBe(true);
    const uploadRow = async () => {
      const [row] = (await stack.platform.runtime.db.query(
        `SELECT u.status, (SELECT COUNT(*) FROM ${schema}.quota_reservations r WHERE r.id = u.id) AS reservations FROM ${schema}.dataset_uploads u WHERE u.id = ?`,
        [upload.id],
      )) as Array<{ status: string; reservations: number | string }>;
      return { status: row?.status, reservations: Number(row?.reservations) };
    };
    let row = await uploadRow();
    for (let i = 0; i < 200 && (row.status !== 'FAILED' || row.reservations !== 0); i++) {
      await sleep(25);
      row = await uploadRow();
    }
    expect(row).toEqual({ status: 'FAILED', reservations: 0 });
    expect((await tenantState(stack, quiet)).objects).toEqual(before.objects);
  }, 60_000);
  it('a download whose client stops reading is cut after the idle timeout, and its slot comes back; a reading client gets the whole file', async () => {
    const token = await quiet.token('admin');
    // Larger than what the sockets' buffers between the gateway and a client that reads nothing can
    // hold (some 4 MB reach such a client before the cut here): 12 MB, three times that, still ends
    // short. Random bytes stored under a small model's version: the route serves them as it would a
    // model of that size, without building or validating one.
    const { versionId, bytes: onnx } = await storeLargeModelVersion(stack, quiet, 12 * 1000 * 1000);

    const url = new URL(stack.gatewayUrl);
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const opened = connect({ host: url.hostname, port: Number(url.port), ca: stack.pki.ca, servername: 'localhost' }, () => resolve(opened));
      opened.once('error', reject);
    });
    sockets.push(socket);
    socket.on('error', () => undefined);
    let closed = false;
    let head = '';
    socket.on('close', () => (closed = true));
    socket.once('data', (chunk: Buffer) => {
      head = chunk.toString('latin1', 0, 12);
      socket.pause();
    });
    socket.write(`GET /downloads/models/${versionId} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    expect(await waitFor(() => head !== '', 5_000)).toBe(true);
    expect(head).toBe('HTTP/1.1 200');
    expect(stack.platform.gateway.transfersInFlight(quiet.id)).toBe(1);
    expect(await waitFor(() => stack.platform.gateway.transfersInFlight(quiet.id) === 0, idleTimeoutMs * 4)).toBe(true);
    // The gateway closed the connection: what the client reads now ends short of the file.
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.resume();
    expect(await waitFor(() => closed, 5_000)).toBe(true);
    expect(received).toBeLessThan(onnx.length);

    const whole = await fetch(`${stack.gatewayUrl}/downloads/models/${versionId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(whole.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await whole.arrayBuffer())).digest('hex')).toBe(createHash('sha256').update(onnx).digest('hex'));
    expect(await waitFor(() => stack.platform.gateway.transfersInFlight(quiet.id) === 0, 2_000)).toBe(true);
  }, 120_000);
  it('uploads one after another on a keep-alive connection leave no listeners behind on its socket', async () => {
    const token = await quiet.token('admin');
    const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, createDataset, { input: { name: 'keep-alive' } })).createDataset.id;
    const serverSockets: Array<import('node:net').Socket> = [];
    const onConnection = (socket: import('node:net').Socket) => serverSockets.push(socket);
    stack.platform.gateway.server.on('secureConnection', onConnection);
    const url = new URL(stack.gatewayUrl);
    const client = await new Promise<TLSSocket>((resolve, reject) => {
      const opened = connect({ host: url.hostname, port: Number(url.port), ca: stack.pki.ca, servername: 'localhost' }, () => resolve(opened));
      opened.once('error', reject);
    });
    let raw = '';
    client.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    const body = 'a,b\n1,2\n';
    try {
      // The socket holds 3 'close' listeners of its own: one left behind per upload would make 9
      // after six uploads, past the bound below, as surely as 15 after twelve.
      for (let i = 0; i < 6; i += 1) {
        const upload = expectNoErrors(await stack.query<{ createDatasetUpload: { id: string } }>(token, createUpload, { input: { datasetId, filename: 'data.csv', byteSize: body.length } })).createDatasetUpload.id;
        const answered = raw.split('HTTP/1.1 ').length;
        // The headers first, the body a moment later: the route starts while the body is still coming.
        client.write(`PUT /uploads/datasets/${upload} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: text/csv\r\nContent-Length: ${body.length}\r\n\r\n`);
        await sleep(30);
        client.write(body);
        // Each answer is chunked: it is whole at its last chunk.
        expect(await waitFor(() => raw.split('HTTP/1.1 ').length > answered && raw.endsWith('\r\n0\r\n\r\n'), 10_000)).toBe(true);
      }
      expect(raw.match(/HTTP\/1\.1 200/g)?.length).toBe(6);
      const socket = serverSockets.find((candidate) => !candidate.destroyed)!;
      expect(socket.listenerCount('close')).toBeLessThan(6);
    } finally {
      stack.platform.gateway.server.off('secureConnection', onConnection);
      client.destroy();
    }
  });

  describe('a body still coming when its answer is out is not read on past 64 KiB (an upload: 1 MiB)', () => {
    /** Sends `head`, then pushes zeros as fast as the connection takes them; resolves when the gateway closes it. */
    async function push(head: string, limitBytes: number, chunked: boolean): Promise<{ answer: string; sent: number }> {
      const url = new URL(stack.gatewayUrl);
      const socket = await new Promise<TLSSocket>((resolve, reject) => {
        const opened = connect({ host: url.hostname, port: Number(url.port), ca: stack.pki.ca, servername: 'localhost' }, () => resolve(opened));
        opened.once('error', reject);
      });
      sockets.push(socket);
      const zeros = Buffer.alloc(64 * 1024);
      const chunk = chunked ? Buffer.concat([Buffer.from('10000\r\n'), zeros, Buffer.from('\r\n')]) : zeros;
      let sent = 0;
      let answer = '';
      socket.on('data', (data: Buffer) => (answer += data.toString('utf8')));
      return new Promise((resolve) => {
        socket.on('error', () => undefined);
        socket.on('close', () => resolve({ answer, sent }));
        socket.write(head);
        const pump = (): void => {
          while (sent < limitBytes && !socket.destroyed) {
            sent += chunk.length;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
        };
        pump();
      });
    }

    it.each([
      ['an upload without a token', (bytes: number) => `PUT /uploads/datasets/${randomUUID()} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\nContent-Length: ${bytes}\r\n\r\n`, 401],
      ['an upload declared over the upload limit', (bytes: number) => `PUT /uploads/datasets/${randomUUID()} HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${bytes * 8}\r\n\r\n`, 413],
      ['a POST /graphql without a token', (bytes: number) => `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${bytes}\r\n\r\n`, 401],
      ['a chunked POST /graphql without a token', () => `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`, 401],
    ])('%s is answered, typed, and its connection closed instead of drained', async (_name, head, status) => {
      const total = 512 * 1024 * 1024;
      const { answer, sent } = await push(head(total), total, head(total).includes('chunked'));
      expect(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1])).toBe(status);
      expect(answer).toMatch(/"code":"(UNAUTHENTICATED|PAYLOAD_TOO_LARGE)"/);
      // The client could send no more than what the sockets' buffers took before the gateway stopped reading.
      expect(sent).toBeLessThan(64 * 1024 * 1024);
    }, 60_000);

    it('a refused POST /graphql body declared over 64 KiB (here 512 KiB) is not read on: the answer is out, then the connection closes', async () => {
      const total = 512 * 1024;
      const head = `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`;
      // Drained, the connection would stay open waiting for the next request and this would never settle.
      const closed = await Promise.race([push(head, total, false), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20_000))]);
      expect(closed).toBeDefined();
      expect(Number(/^HTTP\/1\.1 (\d{3})/.exec(closed!.answer)?.[1])).toBe(401);
      expect(closed!.answer).toMatch(/"code":"UNAUTHENTICATED"/);
    }, 60_000);

    it('a refused body declared at most 64 KiB is drained: the keep-alive connection answers the next request', async () => {
      const url = new URL(stack.gatewayUrl);
      const socket = await new Promise<TLSSocket>((resolve, reject) => {
        const opened = connect({ host: url.hostname, port: Number(url.port), ca: stack.pki.ca, servername: 'localhost' }, () => resolve(opened));
        opened.once('error', reject);
      });
      sockets.push(socket);
      let answer = '';
      socket.on('data', (data: Buffer) => (answer += data.toString('utf8')));
      const body = JSON.stringify({ query: `{ __typename }${' '.repeat(60 * 1024)}` });
      socket.write(`POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      expect(await waitFor(() => answer.includes('UNAUTHENTICATED'), 5_000)).toBe(true);
      socket.write(body);
      const token = await quiet.token('viewer');
      const query = JSON.stringify({ query: '{ __typename }' });
      socket.write(`POST /graphql HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${query.length}\r\n\r\n${query}`);
      expect(await waitFor(() => answer.includes('"__typename":"Query"'), 5_000)).toBe(true);
      expect(socket.destroyed).toBe(false);
    });
  });
});
