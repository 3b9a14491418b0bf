import { createHash } from 'node:crypto';
import type { Agent } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { objectStoreTransport } from '@tessera/storage';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { sleep, storeLargeModelVersion, waitFor } from './support';

const MiB = 1024 * 1024;
// Small values, so a slow reader is cut within seconds: every download gets 2 s, then its client
// must have taken 2 MiB a second beyond them. The idle timeout is long next to the slow reader's
// steps: the gateway sees a client's progress only when the kernel frees room in its send buffer
// (here some 1.5 MiB at a time, of several MiB buffered, credited as taken), so a client reading
// under that per idle timeout would be cut as idle, not for its pace. The rate is high so that
// those buffered MiB, which the slow reader is credited with, are made up for in seconds, not in
// half a minute: with some 5 MiB credited at once and 0.5 MiB/s taken after, the slow reader falls
// behind 2 s + credited / rate at some 6 s (at 1 MiB/s it took 14 s), well above the rate's own
// quarter it reads at, and far below the steady reader's twice.
const idleTimeoutMs = 5_000;
const downloadPace = { minBytesPerSecond: 2 * MiB, graceMs: 2_000 };

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * A GET of a download on a raw TLS connection whose reading the test drives: paused, it takes
 * nothing (the sockets' buffers fill, the gateway's writes back up); `readFor` lets it take bytes
 * until it has `bytes` more of the body or the connection ends.
 */
class Reader {
  status: number | undefined;
  contentLength: number | undefined;
  bodyBytes = 0;
  closed = false;
  private head = Buffer.alloc(0);
  private readonly hash = createHash('sha256');
  private target = 0;

  private constructor(readonly socket: TLSSocket) {
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
    socket.on('data', (chunk: Buffer) => this.take(chunk));
  }

  static async open(stack: TestStack, path: string, token: string): Promise<Reader> {
    const url = new URL(stack.gatewayUrl);
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const opened = connect({ host: url.hostname, port: Number(url.port), ca: stack.pki.ca, servername: 'localhost' }, () => resolve(opened));
      opened.once('error', reject);
    });
    const reader = new Reader(socket);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    return reader;
  }

  /** The body's SHA-256 so far. */
  digest(): string {
    return this.hash.copy().digest('hex');
  }

  /** Reads until `bytes` more of the body came (or the connection ended), then stops reading. */
  async readFor(bytes: number, timeoutMs = 20_000): Promise<void> {
    this.target = this.bodyBytes + bytes;
    this.socket.resume();
    await waitFor(() => this.bodyBytes >= this.target || this.closed, timeoutMs);
  }

  private take(chunk: Buffer): void {
    if (this.status === undefined) {
      this.head = Buffer.concat([this.head, chunk]);
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = this.head.toString('latin1', 0, end);
      this.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      this.contentLength = Number(/\r\ncontent-length: (\d+)/i.exec(text)?.[1]);
      chunk = this.head.subarray(end + 4);
    }
    this.bodyBytes += chunk.length;
    this.hash.update(chunk);
    if (this.bodyBytes >= this.target) this.socket.pause();
  }
}

/**
 * A download may take as long as its size needs at a minimum rate of what its client takes (after
 * a grace period), not for ever: a client that takes a little just within every idle timeout is
 * cut (its body ends short of Content-Length), and its tenant's transfer slot, the gateway's
 * connection to the models service and that service's object-store connection come back. Another
 * tenant's downloads go on meanwhile; a client slower than the idle timeout but above the rate
 * gets the whole file.
 */
describe('download pace at the gateway: a minimum average rate of what the client takes', () => {
  let stack: TestStack;
  let a: TestTenant;
  let b: TestTenant;
  // Far larger than the sockets' buffers between the models service and a client that reads little
  // (22.9 MiB): random bytes stored under a small model's version, which the routes serve as they
  // would a model of that size, without building or validating one. Each tenant's own file.
  const fileBytes = 24 * 1000 * 1000;
  const versions = new Map<string, string>();
  const files = new Map<string, Buffer>();
  const readers: Reader[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ transfers: { perTenant: 1, idleTimeoutMs, downloadPace } });
    [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    const stored = await Promise.all([a, b].map((tenant) => storeLargeModelVersion(stack, tenant, fileBytes)));
    [a, b].forEach((tenant, i) => {
      versions.set(tenant.id, stored[i]!.versionId);
      files.set(tenant.id, stored[i]!.bytes);
    });
  }, 180_000);

  afterEach(() => {
    for (const reader of readers.splice(0)) reader.socket.destroy();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function download(tenant: TestTenant): Promise<{ status: number; limit: unknown; digest: string | undefined }> {
    const response = await fetch(`${stack.gatewayUrl}/downloads/models/${versions.get(tenant.id)}`, { headers: { authorization: `Bearer ${await tenant.token('admin')}` }, signal: AbortSignal.timeout(60_000) });
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200) return { status: response.status, limit: (JSON.parse(body.toString('utf8')) as { errors: Array<{ extensions: Record<string, unknown> }> }).errors[0]?.extensions['limit'], digest: undefined };
    return { status: 200, limit: undefined, digest: sha256(body) };
  }

  // Every object-store client of the models service goes through this process's one keep-alive agent.
  const storeSocketsBusy = () => {
    const agent = objectStoreTransport(stack.config.objectStore).transportAgent as Agent;
    return Object.values(agent.sockets).reduce((count, list) => count + (list?.length ?? 0), 0);
  };

  it("cuts a client that takes a little within every idle timeout: the body ends short, the tenant's slot and the object-store connection come back", async () => {
    const slow = await Reader.open(stack, `/downloads/models/${versions.get(a.id)}`, await a.token('admin'));
    readers.push(slow);
    await slow.readFor(1);
    expect({ status: slow.status, contentLength: slow.contentLength }).toEqual({ status: 200, contentLength: fileBytes });
    // 256 KiB every 0.5 s: progress the gateway sees within every idle timeout (some 1.5 MiB freed
    // every 3 s), at most a quarter of the rate.
    let dripping = true;
    const drip = (async () => {
      while (dripping && !slow.closed) {
        await slow.readFor(256 * 1024, 5_000);
        await sleep(500);
      }
    })();
    try {
      expect(stack.platform.gateway.transfersInFlight(a.id)).toBe(1);
      // Meanwhile tenant A's one slot is taken, and tenant B downloads the whole file.
      expect(await download(a)).toEqual({ status: 429, limit: 'concurrentTransfers', digest: undefined });
      expect(await download(b)).toEqual({ status: 200, limit: undefined, digest: sha256(files.get(b.id)!) });

      // The slow one is cut (on a pace never checked, it would read on to the end, some 45 s): its slot comes back.
      expect(await waitFor(() => stack.platform.gateway.transfersInFlight(a.id) === 0, 45_000)).toBe(true);
    } finally {
      dripping = false;
      await drip;
    }
    // What the client reads now (what the sockets' buffers held) ends short of the file.
    await slow.readFor(Infinity, 10_000);
    expect(slow.closed).toBe(true);
    expect(slow.bodyBytes).toBeLessThan(fileBytes);
    // The models service stopped reading the object: its connection to the store is released.
    expect(await waitFor(() => storeSocketsBusy() === 0, 5_000)).toBe(true);
    // Tenant A's slot is free again: the same file, whole.
    expect(await download(a)).toEqual({ status: 200, limit: undefined, digest: sha256(files.get(a.id)!) });
  }, 120_000);

  it('lets a client through that takes the file steadily above the rate, for longer than the idle timeout', async () => {
    const started = Date.now();
    const reader = await Reader.open(stack, `/downloads/models/${versions.get(b.id)}`, await b.token('admin'));
    readers.push(reader);
    // On a schedule of 4 MiB/s, twice the minimum: longer than the idle timeout in all (the
    // 22.9 MiB take at least 5.7 s).
    while (!reader.closed && (reader.contentLength === undefined || reader.bodyBytes < reader.contentLength)) {
      // Never more than the file: a read for bytes past its end would wait out its timeout.
      const due = Math.min(((Date.now() - started) / 1000) * 4 * MiB, reader.contentLength ?? Infinity);
      if (reader.bodyBytes < due) await reader.readFor(due - reader.bodyBytes);
      else await sleep(100);
    }
    expect(reader.status).toBe(200);
    expect(reader.bodyBytes).toBe(fileBytes);
    expect(reader.digest()).toBe(sha256(files.get(b.id)!));
    expect(Date.now() - started).toBeGreaterThan(idleTimeoutMs);
    expect(await waitFor(() => stack.platform.gateway.transfersInFlight(b.id) === 0, 5_000)).toBe(true);
  }, 120_000);
});
