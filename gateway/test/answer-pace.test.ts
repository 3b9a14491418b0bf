import type { Socket } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { errorCodes, expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { waitFor } from './support';

const MiB = 1024 * 1024;
// Small values, so a client that stops reading is cut within seconds: every answer gets 2 s, then
// its client must have taken 1 MiB a second beyond them (the kernel's buffers, several MiB on
// loopback, count as taken, so the answer must be far larger than them).
const answerPace = { minBytesPerSecond: 1 * MiB, graceMs: 2_000 };

/** A POST /graphql on a raw TLS connection that never reads its answer past the first bytes the test lets in. */
class UnreadAnswer {
  bodyBytes = 0;
  closed = false;
  text = '';

  private constructor(readonly socket: TLSSocket) {
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
    socket.on('data', (chunk: Buffer) => {
      this.bodyBytes += chunk.length;
      if (this.text.length < 300) this.text += chunk.toString('latin1', 0, 300);
    });
  }

  static async send(stack: TestStack, token: string, body: string): Promise<UnreadAnswer> {
    const url = new URL(stack.gatewayUrl);
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const opened = connect({ host: url.hostname, port: Number(url.port), ca: stack.pki.ca, servername: 'localhost' }, () => resolve(opened));
      opened.once('error', reject);
    });
    const request = new UnreadAnswer(socket);
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    // Takes nothing: the answer fills the sockets' buffers and then waits in the gateway.
    socket.pause();
    return request;
  }
}

/**
 * A client that stops reading a large answer left it in the gateway's memory, shared by every
 * tenant, for as long as it kept the connection, and its tenant paid for it only when the
 * connection closed (twelve unread 10 MB answers held 530 MB of the gateway while their tenant's
 * next requests were admitted). Now an answer is paid for once it is written, and a client that
 * takes it slower than the answer pace has its connection cut.
 */
describe('answer pace at the gateway: an unread answer is paid at once and does not stay', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  let versionId: string;
  const unread: UnreadAnswer[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ transfers: { answerPace } });
    [a, b] = await Promise.all([stack.createTenant({ limits: { costBurst: 5_000, costPerMinute: 3_000 } }), stack.createTenant()]);
    const token = await a.token('admin');
    const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id } }', { input: { name: 'wide' } })).createDataset.id;
    // Ten rows of 100 KiB: a preview of them is 1 000 KiB, within a preview's 1 MiB.
    const csv = Buffer.from(`v\n${Array.from({ length: 10 }, () => `${'x'.repeat(100 * 1024)}\n`).join('')}`);
    const upload = expectNoErrors(
      await stack.query<{ createDatasetUpload: { id: string; uploadUrl: string } }>(token, 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id uploadUrl } }', {
        input: { datasetId, filename: 'wide.csv', byteSize: csv.length },
      }),
    ).createDatasetUpload;
    const put = await fetch(upload.uploadUrl, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' }, body: csv });
    expect(put.status).toBe(200);
    versionId = expectNoErrors(await stack.query<{ completeDatasetUpload: { id: string } }>(token, 'mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { id } }', { id: upload.id })).completeDatasetUpload.id;
  }, 180_000);

  afterAll(async () => {
    for (const request of unread) request.socket.destroy();
    await stack?.stop();
  });

  it('an answer of some 10 MiB whose client reads nothing is charged at once (the next request is RATE_LIMITED) and cut, its body short', async () => {
    const token = await a.token('viewer');
    // Ten aliased previews of 1 000 KiB (as many as a tenant's parse threads and queue take at once):
    // about a thousand units for the document, 10 000 for the answer, twice the tenant's burst.
    const query = `query($id: ID!) { ${Array.from({ length: 10 }, (_, i) => `p${i}: datasetVersion(id: $id) { preview(limit: 10) { rows } }`).join(' ')} }`;
    // The gateway's side of each connection, by its client's port: the cut is seen there while the client reads nothing.
    const served = new Map<number, Socket>();
    const onConnection = (socket: Socket) => served.set(socket.remotePort ?? 0, socket);
    stack.platform.gateway.server.on('secureConnection', onConnection);
    const request = await UnreadAnswer.send(stack, token, JSON.stringify({ query, variables: { id: versionId } }));
    unread.push(request);
    // Paid before it is read: the tenant's small requests are refused while its answer is still unread.
    // (Before, it was charged when the connection closed, and they were admitted.)
    let refused = false;
    let admitted = 0;
    for (const deadline = Date.now() + 20_000; !refused && Date.now() < deadline; ) {
      const res = await stack.query(token, '{ currentTenant { id } }');
      if (errorCodes(res).includes('RATE_LIMITED')) refused = true;
      else {
        admitted += 1;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    expect(refused).toBe(true);
    expect(request.bodyBytes).toBeLessThan(10 * 1_000 * 1024);
    // Another tenant is answered meanwhile.
    expect(expectNoErrors(await stack.query(await b.token('viewer'), '{ currentTenant { id } }'))).toEqual({ currentTenant: { id: b.id } });
    // Falling behind the pace (1 MiB a second after 2 s, the few MiB the kernel took counted as
    // taken), the connection is cut: when the client reads again, its body ends short and the
    // connection closes (before, the whole answer was still there, the connection kept alive).
    // The client reads on once the gateway's side of its connection is gone (some 7 s), not after a
    // fixed 15 s: kept, it would wait out the 30 s and fail as the closed check below would.
    const gatewaySide = () => served.get(request.socket.localPort ?? -1);
    expect(await waitFor(() => gatewaySide()?.destroyed === true, 30_000)).toBe(true);
    stack.platform.gateway.server.off('secureConnection', onConnection);
    request.socket.resume();
    expect(await waitFor(() => request.closed, 30_000)).toBe(true);
    expect(request.bodyBytes).toBeLessThan(10 * 1_000 * 1024);
    expect(admitted).toBeLessThan(50);
  }, 90_000);
});
