import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { TesseraError } from '@tessera/errors';
import { createWebhookAddressPolicy } from '../src/domain/webhook-address-policy';
import { boundedLookups, maxSystemLookupsInFlight, maxSystemLookupsPerTenant, resolveWithSystem, type ResolveHost } from '../src/domain/webhook-lookup';
import { createWebhookTransport, type WebhookPost, type WebhookTransport } from '../src/domain/webhook-transport';
import { validateWebhookUrl } from '../src/domain/webhook-url';

/** A real HTTP server on a loopback address that counts the requests reaching it. */
interface LocalServer {
  port: number;
  hits: IncomingMessage[];
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, host = '127.0.0.1'): Promise<LocalServer> {
  const hits: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req);
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ok = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200).end('ok');

/** A resolver answering from a table, recording what it was asked: what `lookup` is given, the socket gets. */
function tableResolver(answers: Record<string, string[][]>): ResolveHost & { asked: string[] } {
  const asked: string[] = [];
  const calls = new Map<string, number>();
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    asked.push(hostname);
    const sequence = answers[hostname];
    if (!sequence) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const call = calls.get(hostname) ?? 0;
    calls.set(hostname, call + 1);
    // The last answer repeats: a rebinding resolver answers "public" once, then "private" for good.
    const addresses = sequence[Math.min(call, sequence.length - 1)]!;
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { asked });
}

const post = (url: string, timeoutMs = 5_000): WebhookPost => ({ url, headers: { 'content-type': 'application/json' }, body: '{"type":"alert.fired"}', timeoutMs });

describe('webhook transport: the address policy is enforced where the connection is made', () => {
  const servers: LocalServer[] = [];
  const transports: WebhookTransport[] = [];
  let receiver: LocalServer;

  beforeAll(async () => {
    receiver = await listen(ok);
    servers.push(receiver);
  });

  afterAll(async () => {
    for (const transport of transports) transport.close();
    for (const server of servers) await server.close();
  });

  const transportFor = (allowed: string[] = [], resolve: ResolveHost = resolveWithSystem) => {
    const transport = createWebhookTransport(createWebhookAddressPolicy(allowed), resolve);
    transports.push(transport);
    return transport;
  };

  it('by default refuses loopback in every spelling, private and metadata addresses, without connecting', async () => {
    const transport = transportFor();
    const before = receiver.hits.length;
    const urls = [
      `http://127.0.0.1:${receiver.port}/hook`,
      `http://[::1]:${receiver.port}/hook`,
      `http://[::ffff:127.0.0.1]:${receiver.port}/hook`,
      `http://[::ffff:7f00:1]:${receiver.port}/hook`,
      `http://2130706433:${receiver.port}/hook`, // 127.0.0.1 as one number: the URL parser normalises it
      `http://0x7f.1:${receiver.port}/hook`,
      `http://localhost:${receiver.port}/hook`, // a name that resolves to loopback: refused in lookup
      'http://10.0.0.1/hook',
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'https://192.168.1.1/hook',
    ];
    const started = Date.now();
    for (const url of urls) expect({ url, outcome: (await transport.post(post(url))).outcome }).toEqual({ url, outcome: 'REFUSED_ADDRESS' });
    // Not one connection was tried: the private address would have hung until the timeout.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(receiver.hits.length).toBe(before);
  });

  it('DNS rebinding: a name that resolved to a public address when saved is refused when it resolves to loopback at connection time', async () => {
    const resolve = tableResolver({ 'rebind.example': [['93.184.216.34'], ['127.0.0.1']] });
    const policy = createWebhookAddressPolicy();
    const url = `http://rebind.example:${receiver.port}/hook`;
    // At save time the name resolves to a public address: accepted.
    await expect(validateWebhookUrl(url, policy, resolve)).resolves.toBe(url);
    const before = receiver.hits.length;
    const attempt = await transportFor([], resolve).post(post(url));
    expect(attempt.outcome).toBe('REFUSED_ADDRESS');
    expect(resolve.asked).toEqual(['rebind.example', 'rebind.example']);
    expect(receiver.hits.length).toBe(before);
  });

  it('refuses a name when any one of its addresses is refused, allowed ones notwithstanding', async () => {
    const resolve = tableResolver({ 'mixed.example': [['127.0.0.1', '10.0.0.7']] });
    const before = receiver.hits.length;
    expect((await transportFor(['127.0.0.1/32'], resolve).post(post(`http://mixed.example:${receiver.port}/hook`))).outcome).toBe('REFUSED_ADDRESS');
    expect(receiver.hits.length).toBe(before);
  });

  it("connects to exactly the address its lookup checked (a name only the test's resolver knows), when the operator allows it", async () => {
    const resolve = tableResolver({ 'receiver.example': [['127.0.0.1']] });
    const transport = transportFor(['127.0.0.1/32'], resolve);
    const before = receiver.hits.length;
    expect(await transport.post(post(`http://receiver.example:${receiver.port}/hook`))).toEqual({ outcome: 'DELIVERED', detail: 'HTTP 200' });
    expect(receiver.hits.length).toBe(before + 1);
    expect(receiver.hits.at(-1)?.headers.host).toBe(`receiver.example:${receiver.port}`);
    // The allow-list names one host: its neighbour and IPv6 loopback stay refused.
    expect((await transport.post(post(`http://127.0.0.2:${receiver.port}/hook`))).outcome).toBe('REFUSED_ADDRESS');
    expect((await transport.post(post(`http://[::1]:${receiver.port}/hook`))).outcome).toBe('REFUSED_ADDRESS');
    expect(receiver.hits.length).toBe(before + 1);
  });

  it('does not follow a redirect, even to an allowed address', async () => {
    const target = await listen(ok);
    const redirecting = await listen((_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${target.port}/internal` }).end());
    servers.push(target, redirecting);
    const attempt = await transportFor(['127.0.0.1/32']).post(post(`http://127.0.0.1:${redirecting.port}/hook`));
    expect(attempt.outcome).toBe('REDIRECT_NOT_FOLLOWED');
    expect(redirecting.hits).toHaveLength(1);
    expect(target.hits).toHaveLength(0);
  });

  it("reduces the receiver's answer to an outcome: its body and headers are never read into the result", async () => {
    const canary = 'CANARY-7f3a-internal-banner';
    const loud = await listen((_req, res) => res.writeHead(418, { 'x-canary': canary, 'content-type': 'text/plain' }).end(`${canary} ${'x'.repeat(100_000)}`));
    servers.push(loud);
    const attempt = await transportFor(['127.0.0.1/32']).post(post(`http://127.0.0.1:${loud.port}/hook`));
    expect(attempt).toEqual({ outcome: 'HTTP_ERROR', detail: 'HTTP 418' });
    expect(JSON.stringify(attempt)).not.toContain(canary);
  });

  it('reports a timeout, a refused connection and an unresolvable name in its own categories', async () => {
    const silent = await listen(() => undefined);
    servers.push(silent);
    const closed = await listen(ok);
    await closed.close();
    const transport = transportFor(['127.0.0.1/32'], tableResolver({}));
    expect((await transport.post(post(`http://127.0.0.1:${silent.port}/hook`, 300))).outcome).toBe('TIMEOUT');
    expect((await transport.post(post(`http://127.0.0.1:${closed.port}/hook`))).outcome).toBe('CONNECTION_FAILED');
    expect((await transport.post(post('http://unknown.example/hook'))).outcome).toBe('CONNECTION_FAILED');
  });
});

describe('saving a webhook URL: a clear error for what the connection-time check would refuse anyway', () => {
  const policy = createWebhookAddressPolicy();
  const resolve = tableResolver({ 'hooks.example': [['93.184.216.34']], 'sneaky.example': [['93.184.216.34', '169.254.169.254']], 'v6.example': [['::1']] });

  async function refusal(url: string): Promise<{ code: string | undefined; field: unknown; message: string }> {
    const error = await validateWebhookUrl(url, policy, resolve).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    if (!(error instanceof TesseraError)) throw new Error(`${url} was accepted`);
    return { code: error.code, field: error.extensions['field'], message: error.message };
  }

  it('refuses forbidden literal hosts and names resolving to forbidden addresses with BAD_USER_INPUT on the url field', async () => {
    for (const url of ['http://127.0.0.1/x', 'http://[::1]/x', 'http://[::ffff:127.0.0.1]/x', 'http://10.1.2.3/x', 'https://169.254.169.254/x', 'http://metadata.google.internal/x', 'http://sneaky.example/x', 'http://v6.example/x']) {
      const { code, field, message } = await refusal(url);
      expect({ url, code, field }).toEqual({ url, code: 'BAD_USER_INPUT', field: 'url' });
      expect(message).toMatch(/loopback, private, link-local or cloud-metadata/);
    }
  });

  it('refuses other schemes and credentials, and accepts public hosts and names that do not resolve yet', async () => {
    for (const url of ['ftp://hooks.example/x', 'file:///etc/passwd', 'gopher://hooks.example/x', 'http://user:pw@hooks.example/x', 'not a url']) {
      expect((await refusal(url)).code).toBe('BAD_USER_INPUT');
    }
    await expect(validateWebhookUrl('https://hooks.example/x', policy, resolve)).resolves.toBe('https://hooks.example/x');
    await expect(validateWebhookUrl('https://8.8.8.8/x', policy, resolve)).resolves.toBe('https://8.8.8.8/x');
    // Delivery resolves again and refuses then if needed; saving does not depend on DNS being up.
    await expect(validateWebhookUrl('https://not-yet.example/x', policy, resolve)).resolves.toBe('https://not-yet.example/x');
  });
});

describe('webhook host lookups are bounded: a name whose servers never answer cannot hold the thread pool', () => {
  /** A resolver whose answers wait until the test releases them: a name server that does not answer. */
  function stalledResolver(): ResolveHost & { release(): void; started: number } {
    const waiting: Array<() => void> = [];
    const resolve = Object.assign(
      () => {
        resolve.started += 1;
        return new Promise<LookupAddress[]>((done) => waiting.push(() => done([{ address: '203.0.113.7', family: 4 }])));
      },
      { started: 0, release: () => waiting.splice(0).forEach((done) => done()) },
    );
    return resolve;
  }

  it('at most the bound is in flight: one more is refused at once (typed), never queued, and a finished lookup frees its place', async () => {
    const stalled = stalledResolver();
    const bounded = boundedLookups(stalled, 2);
    const first = bounded('slow-1.example', 0);
    const second = bounded('slow-2.example', 0);
    await expect(bounded('slow-3.example', 0)).rejects.toMatchObject({ code: 'WEBHOOK_LOOKUP_BUSY' });
    expect(stalled.started).toBe(2);
    stalled.release();
    await Promise.all([first, second]);
    const third = bounded('slow-3.example', 0);
    stalled.release();
    await expect(third).resolves.toEqual([{ address: '203.0.113.7', family: 4 }]);
    expect(maxSystemLookupsInFlight).toBeLessThan(4);
  });

  it('one tenant holds at most its share: tenant A\'s slow names cannot take the lookups tenant B\'s deliveries and saves need', async () => {
    const stalled = stalledResolver();
    // Names of A's that never answer; everything else answers at once with the local receiver.
    const resolve: ResolveHost = (hostname, family, owner) => (hostname.startsWith('slow') ? stalled(hostname, family, owner) : Promise.resolve([{ address: '127.0.0.1', family: 4 }]));
    const bounded = boundedLookups(resolve, 2, 1);
    const receiver = await listen(ok);
    const policy = createWebhookAddressPolicy(['127.0.0.1/32']);
    const transport = createWebhookTransport(policy, bounded);
    try {
      // A starts a lookup that never answers; its second one, by any path, is refused at once.
      const holding = bounded('slow-1.example', 0, 'tenant-a');
      await expect(bounded('slow-2.example', 0, 'tenant-a')).rejects.toMatchObject({ code: 'WEBHOOK_LOOKUP_BUSY' });
      const refusedForA = await transport.post({ ...post(`http://hooks-a.example:${receiver.port}/hook`), owner: 'tenant-a' });
      expect(refusedForA.outcome).toBe('CONNECTION_FAILED');
      expect(refusedForA.detail).toContain('WEBHOOK_LOOKUP_BUSY');
      expect(stalled.started).toBe(1);
      // B's delivery resolves, is checked and is delivered while A's lookup still hangs.
      const delivered = await transport.post({ ...post(`http://hooks-b.example:${receiver.port}/hook`), owner: 'tenant-b' });
      expect(delivered.outcome).toBe('DELIVERED');
      expect(receiver.hits).toHaveLength(1);
      // And B's save still checks the name (refused here: the default policy refuses loopback).
      await expect(validateWebhookUrl(`http://hooks-b.example:${receiver.port}/hook`, createWebhookAddressPolicy(), bounded, 'tenant-b')).rejects.toBeInstanceOf(TesseraError);
      stalled.release();
      await holding;
      // A's share is free again once its lookup ends.
      expect((await transport.post({ ...post(`http://hooks-a.example:${receiver.port}/hook`), owner: 'tenant-a' })).outcome).toBe('DELIVERED');
      expect(maxSystemLookupsPerTenant).toBeLessThan(maxSystemLookupsInFlight);
    } finally {
      transport.close();
      await receiver.close();
    }
  });

  it('while the lookups are taken, a delivery fails at once as CONNECTION_FAILED (retried later) and saving a URL accepts it unchecked', async () => {
    const stalled = stalledResolver();
    const bounded = boundedLookups(stalled, 1);
    const policy = createWebhookAddressPolicy([]);
    const transport = createWebhookTransport(policy, bounded);
    try {
      const holding = bounded('slow.example', 0);
      const attempt = await transport.post(post('https://hooks.example.com/tessera', 60_000));
      expect(attempt.outcome).toBe('CONNECTION_FAILED');
      expect(attempt.detail).toContain('WEBHOOK_LOOKUP_BUSY');
      await expect(validateWebhookUrl('https://hooks.example.com/tessera', policy, bounded)).resolves.toBe('https://hooks.example.com/tessera');
      expect(stalled.started).toBe(1);
      stalled.release();
      await holding;
    } finally {
      transport.close();
    }
  });
});
