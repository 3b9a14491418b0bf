import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { expectNoErrors, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { rawGatewayRequest, rawSubgraphRequest, sleep, waitFor } from './support';

/**
 * Node's whole-request timeout (5 minutes for headers and body together) is off at the gateway:
 * it cut every upload that took longer. An upload is timed by its stream's idle timeout only, so a
 * slow but steady upload completes however long it takes; every other body must arrive within
 * REQUEST_BODY_TIMEOUT_MS of the request's start (here 2 s), trickling or not, or is answered 408
 * BAD_REQUEST (reason BODY_TIMEOUT) and its connection closed; a body still being drained after its
 * answer loses its connection at the same deadline.
 */
const bodyTimeoutMs = 2_000;
const idleTimeoutMs = 3_000;

describe('gateway: request bodies have a deadline, uploads only an idle timeout', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let token: string;
  const sockets: TLSSocket[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ requestBodyTimeoutMs: bodyTimeoutMs, transfers: { idleTimeoutMs } });
    tenant = await stack.createTenant();
    token = await tenant.token('admin');
  }, 120_000);
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  // The predict route's and the refused body's deadlines run alongside the /graphql one (each
  // connection has its own): one wait of the deadline for the three, not three.
  it('a POST /graphql body that keeps trickling past the deadline is answered 408 BODY_TIMEOUT and its connection closed; nothing runs; the same on the predict route, and a refused body still draining after its answer loses its connection at the deadline', async () => {
    const query = JSON.stringify({ query: 'mutation { createDataset(input: { name: "never" }) { id } }' });
    const exchange = await rawGatewayRequest(stack, `POST /graphql HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${query.length}`, query.slice(0, 5));
    sockets.push(exchange.socket);
    // A byte every 250 ms: never idle, but not all there by the deadline.
    let sent = 5;
    const trickle = setInterval(() => {
      if (sent < query.length - 1 && !exchange.answer.closed) exchange.socket.write(query[sent++]!);
    }, 250);
    try {
      const predict = await rawGatewayRequest(stack, `POST /v1/predict HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100`, '{');
      // Refused on its headers (no token): answered 401 at once, then the small body is drained — until the deadline.
      const refused = await rawGatewayRequest(stack, `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100`, '{');
      sockets.push(predict.socket, refused.socket);
      expect(await waitFor(() => refused.answer.status !== undefined, 5_000)).toBe(true);
      expect(refused.answer.status).toBe(401);
      expect(refused.answer.closed).toBe(false);

      expect(await waitFor(() => exchange.answer.status !== undefined && exchange.answer.closed, bodyTimeoutMs * 5)).toBe(true);
      expect(await waitFor(() => predict.answer.closed && refused.answer.closed, bodyTimeoutMs * 5)).toBe(true);
      expect(predict.answer.status).toBe(408);
      expect(JSON.parse(predict.answer.body)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST', reason: 'BODY_TIMEOUT' } }] });
    } finally {
      clearInterval(trickle);
    }
    expect(exchange.answer.status).toBe(408);
    expect(JSON.parse(exchange.answer.body)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST', reason: 'BODY_TIMEOUT', timeoutMs: bodyTimeoutMs } }] });
    const listed = expectNoErrors(await stack.query<{ datasets: { edges: unknown[] } }>(token, '{ datasets { edges { node { id } } } }'));
    expect(listed.datasets.edges).toEqual([]);
  }, 60_000);

  it("a subgraph gives a port call's or an operation's body the same deadline, whoever it admits sends it", async () => {
    // A caller each subgraph admits, holding its connection open with a body it never finishes (a byte every 250 ms).
    const port = await rawSubgraphRequest(stack, 'jobs', 'workers', `POST /internal/ports/jobs/finish HTTP/1.1\r\nHost: jobs\r\nContent-Type: application/json\r\nContent-Length: 100000`, '{');
    const operation = await rawSubgraphRequest(stack, 'datasets', 'gateway', `POST /graphql HTTP/1.1\r\nHost: datasets\r\nContent-Type: application/json\r\nContent-Length: 100000`, '{');
    // An upload route has no deadline while it reads, but this one is refused at once (no gateway context): its rest gets the deadline from the answer.
    const upload = await rawSubgraphRequest(stack, 'datasets', 'workers', `PUT /internal/uploads/${randomUUID()} HTTP/1.1\r\nHost: datasets\r\nContent-Type: text/csv\r\nContent-Length: 100000`, 'x,y\n');
    sockets.push(port.socket, operation.socket, upload.socket);
    const trickle = setInterval(() => {
      for (const exchange of [port, operation, upload]) if (!exchange.answer.closed) exchange.socket.write(' ');
    }, 250);
    try {
      expect(await waitFor(() => port.answer.closed && operation.answer.closed && upload.answer.closed, bodyTimeoutMs * 5)).toBe(true);
    } finally {
      clearInterval(trickle);
    }
    for (const exchange of [port, operation]) {
      expect(exchange.answer.status).toBe(408);
      expect(JSON.parse(exchange.answer.body)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST', reason: 'BODY_TIMEOUT', timeoutMs: bodyTimeoutMs } }] });
    }
    expect(upload.answer.status).toBe(401);
  }, 60_000);

  it('an upload that takes several times the body deadline, never idle, completes; a complete request on the same connection is not cut', async () => {
    const datasetId = expectNoErrors(await stack.query<{ createDataset: { id: string } }>(token, 'mutation { createDataset(input: { name: "slow" }) { id } }')).createDataset.id;
    const csv = `x,y\n${Array.from({ length: 40 }, (_, i) => `${i},${2 * i}`).join('\n')}\n`;
    const upload = expectNoErrors(
      await stack.query<{ createDatasetUpload: { id: string } }>(token, 'mutation($input: CreateDatasetUploadInput!) { createDatasetUpload(input: $input) { id } }', { input: { datasetId, filename: 'data.csv', byteSize: csv.length } }),
    ).createDatasetUpload.id;
    // A GET without a body on a connection kept open past the deadline (here through the upload's
    // 6 s, over twice the deadline as checked below) is answered, never cut.
    const get = await rawGatewayRequest(stack, `GET /_health HTTP/1.1\r\nHost: localhost`);
    sockets.push(get.socket);
    const exchange = await rawGatewayRequest(stack, `PUT /uploads/datasets/${upload} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: text/csv\r\nContent-Length: ${csv.length}`);
    sockets.push(exchange.socket);
    // About 3 × the body deadline, a chunk every 300 ms (well inside the idle timeout).
    const chunks = 20;
    const size = Math.ceil(csv.length / chunks);
    const started = Date.now();
    for (let i = 0; i < chunks; i++) {
      exchange.socket.write(csv.slice(i * size, (i + 1) * size));
      await sleep(300);
    }
    expect(await waitFor(() => exchange.answer.status !== undefined, 10_000)).toBe(true);
    expect(Date.now() - started).toBeGreaterThan(bodyTimeoutMs * 2);
    expect({ status: exchange.answer.status, closed: exchange.answer.closed }).toEqual({ status: 200, closed: false });
    const version = expectNoErrors(await stack.query<{ completeDatasetUpload: { rowCount: number } }>(token, 'mutation($id: ID!) { completeDatasetUpload(uploadId: $id) { rowCount } }', { id: upload }));
    expect(version.completeDatasetUpload.rowCount).toBe(40);
    // Node's own limit on a whole request, which would cut such an upload at 5 minutes, is off (headers keep theirs).
    expect(stack.platform.gateway.server.requestTimeout).toBe(0);
    expect(stack.platform.gateway.server.headersTimeout).toBeGreaterThan(0);
    // Nor does the datasets service, which the gateway streams the upload to, cut it.
    expect(stack.platform.subgraphs.datasets.server.requestTimeout).toBe(0);
    // The GET's connection, open since before the upload began, was kept past the deadline.
    expect(get.answer.status).toBe(200);
    expect(get.answer.closed).toBe(false);
  }, 90_000);
});
