import WebSocket from 'ws';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import { maxBytesBeforeConnectionAccepted, maxMessagesBeforeConnectionAccepted } from '../src/subscriptions/subscription-gateway';

jest.setTimeout(180_000);

/**
 * A raw graphql-ws socket that sends `ping` messages carrying `payload` as fast as it can, without
 * reading behind (at most two unsent), and counts the pongs: what a well-behaved client never sends.
 */
function pingFlood(url: string, payload: string, init?: Record<string, unknown>) {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const message = JSON.stringify({ type: 'ping', payload: { d: payload } });
  let pongs = 0;
  let sent = 0;
  socket.on('message', (data) => {
    if ((JSON.parse(String(data)) as { type: string }).type === 'pong') pongs += 1;
  });
  socket.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  socket.on('open', () => {
    if (init) socket.send(JSON.stringify({ type: 'connection_init', payload: init }));
    const pump = () => {
      if (socket.readyState !== socket.OPEN || sent >= 200) return;
      if (socket.bufferedAmount < 2 * message.length) {
        socket.send(message);
        sent += 1;
      }
      setTimeout(pump, 1);
    };
    // Once connection_init is answered (or at once without one).
    setTimeout(pump, init ? 300 : 0);
  });
  return { socket, closed, counts: () => ({ pongs, sent }) };
}

describe('what a WebSocket client sends is bounded before graphql-ws parses it', () => {
  let stack: TestStack;
  let quiet: TestTenant;
  let noisy: TestTenant;

  // Pinged every 3 s (WS_KEEPALIVE_MS) rather than 12: the free-pong case waits for one keepalive.
  const keepAliveMs = 3_000;

  beforeAll(async () => {
    stack = await startTestStack({ subscriptionKeepAliveMs: keepAliveMs });
    [quiet, noisy] = await Promise.all([stack.createTenant(), stack.createTenant({ limits: { costBurst: 5_000 } })]);
  });
  afterAll(() => stack?.stop());

  it('a socket without an accepted connection_init may send 64 KiB: pings of 100 KiB are refused at the first (1009), none answered; a ping of a few bytes is answered', async () => {
    const flood = pingFlood(stack.graphqlUrl, 'x'.repeat(100 * 1024));
    const close = await Promise.race([flood.closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 5_000))]);
    flood.socket.terminate();
    expect(close).toEqual({ code: 1009, reason: expect.stringContaining('connection_init') });
    expect(flood.counts().pongs).toBe(0);

    const small = pingFlood(stack.graphqlUrl, 'hello');
    await new Promise((resolve) => setTimeout(resolve, 500));
    small.socket.terminate();
    expect(small.counts().pongs).toBeGreaterThan(0);
  });

  it('a socket without an accepted connection_init may send 16 messages: a flood of small pings is closed (1008) at the 17th, not answered ping by ping until the 3 s init timeout', async () => {
    // 64 KiB holds 4 000 such pings: four clients without a token, each reconnecting, had the
    // gateway parse and answer 40 000 a second and took another tenant's median answer from 6 ms to 120 ms.
    const socket = new WebSocket(stack.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    socket.on('error', () => undefined);
    let pongs = 0;
    socket.on('message', (data) => {
      if (String(data).includes('"pong"')) pongs += 1;
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    await new Promise<void>((resolve) => socket.once('open', () => resolve()));
    const ping = JSON.stringify({ type: 'ping' });
    for (let i = 0; i < 1_000; i++) socket.send(ping);
    expect(1_000 * ping.length).toBeLessThan(maxBytesBeforeConnectionAccepted);
    const close = await Promise.race([closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 2_000))]);
    socket.terminate();
    expect(close).toEqual({ code: 1008, reason: expect.stringContaining('connection_init') });
    expect(pongs).toBeLessThanOrEqual(maxMessagesBeforeConnectionAccepted);
  });

  it('WebSocket ping and pong frames count as messages: 1 000 unsolicited pongs without connection_init are closed (1008), and on an authenticated socket they pay a unit each (4430 once the burst is spent)', async () => {
    // Control frames reached no check: two sockets sending empty pong frames as fast as TLS
    // carried them took another tenant's median answer from 9 ms to 240 ms.
    const open = async (init?: Record<string, unknown>) => {
      const socket = new WebSocket(stack.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
      socket.on('error', () => undefined);
      const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
      await new Promise<void>((resolve) => socket.once('open', () => resolve()));
      if (init) {
        const acked = new Promise<void>((resolve) => socket.on('message', (data) => String(data).includes('connection_ack') && resolve()));
        socket.send(JSON.stringify({ type: 'connection_init', payload: init }));
        await acked;
      }
      return { socket, closed };
    };
    const outcome = async ({ socket, closed }: { socket: WebSocket; closed: Promise<{ code: number; reason: string }> }, frame: 'ping' | 'pong') => {
      for (let i = 0; i < 1_000 && socket.readyState === socket.OPEN; i++) socket[frame]();
      const close = await Promise.race([closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 3_000))]);
      socket.terminate();
      return close;
    };
    expect(await outcome(await open(), 'pong')).toEqual({ code: 1008, reason: expect.stringContaining('connection_init') });
    expect(await outcome(await open(), 'ping')).toEqual({ code: 1008, reason: expect.stringContaining('connection_init') });
    const tenant = await stack.createTenant({ limits: { costBurst: 200, costPerMinute: 60 } });
    expect(await outcome(await open({ authorization: `Bearer ${await tenant.token('viewer')}` }), 'pong')).toEqual({ code: 4430, reason: expect.stringContaining('RATE_LIMITED') });
    // (Pings a client sends faster than it reads their pongs are ws's to cut: maxPendingAutoPongs, 1006.)
  });

  it("the pong answering the gateway's own keepalive ping is free: a tenant whose cost units are spent (by HTTP) keeps its idle subscription socket", async () => {
    const tenant = await stack.createTenant({ limits: { costBurst: 40, costPerMinute: 10 } });
    const token = await tenant.token('viewer');
    const socket = new WebSocket(stack.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    socket.on('error', () => undefined);
    let pings = 0;
    socket.on('ping', () => (pings += 1));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    const acked = new Promise<void>((resolve) => socket.on('message', (data) => String(data).includes('connection_ack') && resolve()));
    await new Promise<void>((resolve) => socket.once('open', () => resolve()));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await acked;
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { jobEvents { jobId } }' } }));
    // Messages are taken in order: once this ping's pong is back, the subscribe was paid for.
    const ponged = new Promise<void>((resolve) => socket.on('message', (data) => String(data).includes('"pong"') && resolve()));
    socket.send(JSON.stringify({ type: 'ping' }));
    await ponged;
    // The rest of the burst goes to HTTP queries, until they are refused.
    let refused = false;
    for (let i = 0; i < 50 && !refused; i++) {
      const answer = await stack.query(token, '{ currentTenant { id } }');
      refused = (answer.errors ?? []).some((error) => error.extensions?.['code'] === 'RATE_LIMITED');
    }
    expect(refused).toBe(true);
    // One keepalive ping (every keepAliveMs), answered by ws with a pong frame; then 2 s for that pong
    // to be taken (charged, it would close the socket 4430 within milliseconds), rather than a fixed
    // keepAliveMs + 3 s from here.
    const pinged = new Promise<void>((resolve) => (pings > 0 ? resolve() : socket.once('ping', () => resolve())));
    const outcome = await Promise.race([
      closed,
      Promise.race([pinged, new Promise<void>((resolve) => setTimeout(resolve, keepAliveMs + 3_000))]).then(() => new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 2_000))),
    ]);
    socket.terminate();
    expect({ outcome, pinged: pings > 0 }).toEqual({ outcome: 'open', pinged: true });
  });

  it('connection_init pays a unit like an HTTP request: a tenant whose cost units are spent is closed 4430 at connection_init, never acknowledged', async () => {
    const tenant = await stack.createTenant({ limits: { costBurst: 40, costPerMinute: 10 } });
    const token = await tenant.token('viewer');
    let refused = false;
    for (let i = 0; i < 200 && !refused; i++) {
      const answer = await stack.query(token, '{ currentTenant { id } }');
      refused = (answer.errors ?? []).some((error) => error.extensions?.['code'] === 'RATE_LIMITED');
    }
    expect(refused).toBe(true);
    const socket = new WebSocket(stack.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    socket.on('error', () => undefined);
    let acked = false;
    socket.on('message', (data) => (acked ||= String(data).includes('connection_ack')));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    await new Promise<void>((resolve) => socket.once('open', () => resolve()));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    const close = await Promise.race([closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 5_000))]);
    socket.terminate();
    expect({ close, acked }).toEqual({ close: { code: 4430, reason: expect.stringContaining('RATE_LIMITED') }, acked: false });
    // Another tenant connects as before.
    const other = new WebSocket(stack.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    other.on('error', () => undefined);
    const otherAcked = new Promise<boolean>((resolve) => {
      other.on('message', (data) => String(data).includes('connection_ack') && resolve(true));
      setTimeout(() => resolve(false), 5_000);
    });
    await new Promise<void>((resolve) => other.once('open', () => resolve()));
    other.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await quiet.token('viewer')}` } }));
    expect(await otherAcked).toBe(true);
    other.terminate();
  });

  it("an authenticated socket's messages pay their size from the tenant's cost units (one per KiB past the first): 1 MiB pings end in 4430 once the burst is spent, and another tenant is answered meanwhile", async () => {
    const flood = pingFlood(stack.graphqlUrl, 'x'.repeat(1000 * 1024), { authorization: `Bearer ${await noisy.token('viewer')}` });
    const close = await Promise.race([flood.closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 20_000))]);
    flood.socket.terminate();
    // A burst of 5 000 units holds about five such messages (plus what refills meanwhile).
    expect(close).toEqual({ code: 4430, reason: expect.stringContaining('RATE_LIMITED') });
    expect(flood.counts().pongs).toBeLessThan(10);
    const answer = await stack.query<{ currentTenant: { id: string } }>(await quiet.token('viewer'), '{ currentTenant { id } }');
    expect(answer.data?.currentTenant.id).toBe(quiet.id);
  });

  it("every message of an authenticated socket pays at least one unit, however small: a flood of 15-byte pongs (which get no reply) ends in 4430 once the burst is spent, instead of costing the gateway's event loop for free", async () => {
    // Two sockets of free 15-byte messages took another tenant's median answer from 3 ms to 280 ms.
    const tenant = await stack.createTenant({ limits: { costBurst: 200, costPerMinute: 60 } });
    const socket = new WebSocket(stack.graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    socket.on('error', () => undefined);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    const acked = new Promise<void>((resolve) => socket.on('message', (data) => String(data).includes('connection_ack') && resolve()));
    await new Promise<void>((resolve) => socket.once('open', () => resolve()));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await tenant.token('viewer')}` } }));
    await acked;
    const pong = JSON.stringify({ type: 'pong' });
    // Five times the burst: were a small message free, the socket would stay open.
    for (let i = 0; i < 1_000 && socket.readyState === socket.OPEN; i++) socket.send(pong);
    const close = await Promise.race([closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 5_000))]);
    socket.terminate();
    expect(close).toEqual({ code: 4430, reason: expect.stringContaining('RATE_LIMITED') });
    const answer = await stack.query<{ currentTenant: { id: string } }>(await quiet.token('viewer'), '{ currentTenant { id } }');
    expect(answer.data?.currentTenant.id).toBe(quiet.id);
  });
});
