import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { BoundedEventQueue, createEventBus, type EventBus, type JobEventPayload } from '@tessera/events';
import { startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import type { RunningGateway } from '../src/server';
import { maxUnsentBytes } from '../src/subscriptions/subscription-gateway';
import { CollectedSubscription, connectSubscriptions, sleep, startExtraGateway, type TestSubscriptionClient } from './subscriptions-support';

jest.setTimeout(300_000);

const jobEventsSubscription = 'subscription { jobEvents { jobId status progress phase } }';
type JobEventsData = { jobEvents: { jobId: string; status: string; progress: number; phase: string | null } };

/** Events this size fill the loopback socket buffers in a few thousand events rather than a few hundred thousand. */
const phaseBytes = 32 * 1024;
/** The events per tenant per round; tenant A's event of each round must arrive before the next round. */
const eventsPerRound = 32;
/** The gateway's buffer per relayed subscription (README: "more than 256 events behind"), and the subgraph's. */
const relayBufferEvents = 256;

/** The largest a TCP socket's kernel buffer may grow to here (the third value of tcp_rmem / tcp_wmem). */
function kernelBufferMax(name: 'tcp_rmem' | 'tcp_wmem'): number {
  return Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
}

function jobEvent(jobId: string, progress: number, phase: string): JobEventPayload {
  return { jobId, kind: 'TRAIN', status: 'RUNNING', progress, phase, metrics: null, error: null, occurredAt: new Date().toISOString() };
}

/** A raw graphql-ws socket over TLS whose reading the test pauses (a client library would keep reading). */
function rawSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** B's subscriptions, all on its one stalled socket: each holds its own place in the gateway. */
const stalledIds = ['stalled-1', 'stalled-2', 'stalled-3'];

type ServerMessage = { type: string; id?: string; payload?: unknown };

describe('a subscriber that stops reading (a second gateway over the stack\'s subgraphs)', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let gateway: RunningGateway;
  let bus: EventBus; // publishes exactly as the worker does
  let redis: Redis;
  const clients: TestSubscriptionClient[] = [];

  const channelOf = (tenant: TestTenant) => `${stack.config.redis.keyPrefix}:tenant:${tenant.id}:jobs`;
  const subscribersOf = async (tenant: TestTenant) => Number(((await redis.pubsub('NUMSUB', channelOf(tenant))) as [string, number])[1]);

  /**
   * Tenant B's raw socket with the stalled subscriptions, live (each has received a marker, so none
   * misses an event from then on), then no longer read once A's subscription listens too.
   */
  async function stalledReader(graphqlUrl: string): Promise<{ b: WebSocket; bMessages: ServerMessage[] }> {
    const b = await rawSocket(graphqlUrl);
    const bMessages: ServerMessage[] = [];
    b.on('message', (data) => bMessages.push(JSON.parse(String(data)) as ServerMessage));
    b.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await globex.token('viewer')}` } }));
    while (!bMessages.some((m) => m.type === 'connection_ack')) await sleep(20);
    for (const id of stalledIds) b.send(JSON.stringify({ type: 'subscribe', id, payload: { query: jobEventsSubscription } }));
    const marker = randomUUID();
    const sawMarker = (id: string) => bMessages.some((m) => m.id === id && m.type === 'next' && (m.payload as { data?: JobEventsData }).data?.jobEvents.jobId === marker);
    while (!stalledIds.every(sawMarker)) {
      await bus.publish(globex.id, 'jobs', jobEvent(marker, -1, 'marker'));
      await sleep(100);
    }
    while ((await subscribersOf(acme)) === 0) await sleep(20);
    b.pause();
    return { b, bMessages };
  }

  /**
   * Events for both tenants, round by round, until B's subscriptions are ended (the subgraph no
   * longer listens for any) or `bound` of B's went out. A must receive each round's event before
   * the next round is published: if B's stalled socket held up the gateway, A's would never come.
   * Returns how many of B's were published.
   */
  async function floodUntilEnded(bJob: string, aEvents: CollectedSubscription<JobEventsData>, bound: number): Promise<number> {
    const aJob = randomUUID();
    const phase = 'p'.repeat(phaseBytes);
    let publishedToB = 0;
    let publishedToA = 0;
    while ((await subscribersOf(globex)) > 0) {
      if (publishedToB > bound) break;
      for (let i = 0; i < eventsPerRound; i++) await bus.publish(globex.id, 'jobs', jobEvent(bJob, publishedToB++, phase));
      await bus.publish(acme.id, 'jobs', jobEvent(aJob, publishedToA++, 'a'));
      const expected = publishedToA;
      await aEvents.until((results) => results.length >= expected);
    }
    expect(publishedToB).toBeLessThanOrEqual(bound);
    expect(await subscribersOf(globex)).toBe(0);
    // A got every one of its events, in order, and is still subscribed.
    expect(aEvents.results.map((r) => r.data?.jobEvents.progress)).toEqual([...Array(publishedToA).keys()]);
    expect(await subscribersOf(acme)).toBe(1);
    return publishedToB;
  }

  /** B reads again until each stalled subscription has ended: per subscription, B's events it got (in order, none skipped) and its ending. */
  async function readOnToEndings(b: WebSocket, bMessages: ServerMessage[], bJob: string) {
    b.resume();
    const endingOf = (id: string) => bMessages.find((m) => m.id === id && (m.type === 'error' || m.type === 'complete'));
    while (!stalledIds.every(endingOf)) await sleep(50);
    return stalledIds.map((id) => {
      const progress = bMessages
        .filter((m) => m.id === id && m.type === 'next')
        .map((m) => (m.payload as { data: JobEventsData }).data.jobEvents)
        .filter((event) => event.jobId === bJob)
        .map((event) => event.progress);
      expect(progress).toEqual([...Array(progress.length).keys()]);
      return { id, progress, ending: endingOf(id) };
    });
  }

  beforeAll(async () => {
    stack = await startTestStack();
    [acme, globex] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    // Its byte bound per socket above what the count bound lets B's three subscriptions hold: this gateway's sockets end by count.
    gateway = await startExtraGateway(stack, {}, undefined, 0, { limits: { socketBufferBytes: 64 * 1024 ** 2 } });
    bus = createEventBus(stack.config.redis);
    redis = new Redis(stack.config.redis.url);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(async () => {
    await bus?.close();
    redis?.disconnect();
    await gateway?.close();
    await stack?.stop();
  });

  it('ends its subscriptions with SLOW_CONSUMER within a bounded number of events, never holds more than maxUnsentBytes for its socket, and another tenant keeps receiving every event meanwhile', async () => {
    // What the gateway holds unsent for each of its client sockets, read right after each write it
    // makes (the amount only grows on a write). Installed before the sockets connect: the gateway
    // binds each socket's send when it accepts it.
    const gatewayPort = new URL(gateway.graphqlUrl).port;
    const unsentAfterWrites = new Map<WebSocket, number>();
    const originalSend = WebSocket.prototype.send;
    const sendSpy = jest.spyOn(WebSocket.prototype, 'send').mockImplementation(function (this: WebSocket, ...args: Parameters<WebSocket['send']>) {
      originalSend.apply(this, args);
      // `_socket` is ws's underlying TLS socket: the gateway's side of a client socket listens on its port.
      const tcp = (this as unknown as { _socket?: { localPort?: number } })._socket;
      if (String(tcp?.localPort) === gatewayPort) unsentAfterWrites.set(this, Math.max(unsentAfterWrites.get(this) ?? 0, this.bufferedAmount));
    });
    try {
      // Tenant A: an ordinary client that reads everything.
      const a = connectSubscriptions(gateway.graphqlUrl, { authorization: `Bearer ${await acme.token('viewer')}` });
      clients.push(a);
      await a.connected;
      const aEvents = new CollectedSubscription<JobEventsData>(a.client, { query: jobEventsSubscription });

      // Tenant B: subscribes, then reads nothing more once the subgraph listens on its channel.
      const { b, bMessages } = await stalledReader(gateway.graphqlUrl);
      const bClosed = new Promise<number>((resolve) => b.once('close', (code) => resolve(code)));

      // B's queues (the subgraph's and the gateway's) and both kernel socket buffers, with a round to spare.
      const bJob = randomUUID();
      const bound =
        Math.ceil((kernelBufferMax('tcp_rmem') + kernelBufferMax('tcp_wmem') + maxUnsentBytes) / phaseBytes) + 2 * relayBufferEvents + 2 * eventsPerRound;
      const publishedToB = await floodUntilEnded(bJob, aEvents, bound);

      // The gateway never held more than maxUnsentBytes for any client socket, though B's was backed up.
      const unsent = [...unsentAfterWrites.values()];
      expect(unsent.length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...unsent)).toBeGreaterThan(phaseBytes);
      expect(Math.max(...unsent)).toBeLessThanOrEqual(maxUnsentBytes);
      // Each relayed write waits for the previous one to leave: one unsent event per subscription.
      expect(Math.max(...unsent)).toBeLessThanOrEqual(stalledIds.length * (phaseBytes + 1024));

      // B reads again: on each subscription the events before it fell behind, in order with none
      // skipped, then the error; its socket is still open.
      for (const { id, progress, ending } of await readOnToEndings(b, bMessages, bJob)) {
        expect(progress.length).toBeLessThan(publishedToB);
        expect(ending).toMatchObject({ type: 'error', id, payload: [{ extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'SLOW_CONSUMER', bufferSize: relayBufferEvents } }] });
      }
      // Only the subscriptions ended: the socket stays open for new ones.
      expect(b.readyState).toBe(WebSocket.OPEN);
      b.close();
      await bClosed;
    } finally {
      sendSpy.mockRestore();
    }
  });

  it('a stalled socket holds at most its byte bound of relayed events over all its subscriptions (SLOW_CONSUMER before any count bound), while another tenant keeps receiving every event', async () => {
    // A gateway whose sockets may hold 256 KiB each: eight of these events, far below 3 × 256 of them.
    const socketBufferBytes = 256 * 1024;
    const bounded = await startExtraGateway(stack, {}, undefined, 0, { limits: { socketBufferBytes } });
    const gatewayPort = new URL(bounded.graphqlUrl).port;
    const bJob = randomUUID();
    // What the gateway holds for B, read from its own structures after each event it queues or
    // writes: B's events waiting in the relay queues, and what B's socket has not taken yet.
    const queues = new Set<BoundedEventQueue<unknown>>();
    const serverSockets = new Set<WebSocket>();
    const queuedForB = () => {
      let bytes = 0;
      for (const queue of queues) {
        for (const item of (queue as unknown as { items: unknown[] }).items) {
          // The gateway's relay queues hold results as the client gets them (`data.jobEvents`); a subgraph's, bus payloads.
          const text = JSON.stringify(item);
          if (text.includes(bJob) && text.includes('"jobEvents"')) bytes += Buffer.byteLength(text);
        }
      }
      return bytes;
    };
    let heldForB = 0;
    const sample = () => {
      const unsent = [...serverSockets].reduce((max, socket) => Math.max(max, socket.bufferedAmount), 0);
      heldForB = Math.max(heldForB, queuedForB() + unsent);
    };
    const originalPush = BoundedEventQueue.prototype.push;
    const pushSpy = jest.spyOn(BoundedEventQueue.prototype, 'push').mockImplementation(function (this: BoundedEventQueue<unknown>, item: unknown) {
      queues.add(this);
      originalPush.call(this, item);
      sample();
    });
    const originalSend = WebSocket.prototype.send;
    const sendSpy = jest.spyOn(WebSocket.prototype, 'send').mockImplementation(function (this: WebSocket, ...args: Parameters<WebSocket['send']>) {
      originalSend.apply(this, args);
      const tcp = (this as unknown as { _socket?: { localPort?: number } })._socket;
      if (String(tcp?.localPort) === gatewayPort && String(args[0]).includes(bJob)) {
        serverSockets.add(this);
        sample();
      }
    });
    try {
      const a = connectSubscriptions(bounded.graphqlUrl, { authorization: `Bearer ${await acme.token('viewer')}` });
      clients.push(a);
      await a.connected;
      const aEvents = new CollectedSubscription<JobEventsData>(a.client, { query: jobEventsSubscription });

      const { b, bMessages } = await stalledReader(bounded.graphqlUrl);

      // The kernel's socket buffers, then the byte bound, with a round to spare: far fewer than the count bounds would let through.
      const bound = Math.ceil((kernelBufferMax('tcp_rmem') + kernelBufferMax('tcp_wmem') + socketBufferBytes) / phaseBytes) + 2 * eventsPerRound;
      await floodUntilEnded(bJob, aEvents, bound);

      // The gateway held B's events (queued, and unsent on its socket) up to the bound and no more:
      // the bound's bytes are the events as JSON; each of the three unsent ones also carries its
      // graphql-ws envelope and frame header.
      expect(heldForB).toBeGreaterThan(socketBufferBytes / 2);
      expect(heldForB).toBeLessThanOrEqual(socketBufferBytes + stalledIds.length * 256);

      // B reads again: each subscription's events in order, none skipped, then SLOW_CONSUMER naming the byte bound.
      for (const { id, ending } of await readOnToEndings(b, bMessages, bJob)) {
        expect(ending).toMatchObject({ type: 'error', id, payload: [{ extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'SLOW_CONSUMER', bufferBytes: socketBufferBytes } }] });
      }
      expect(b.readyState).toBe(WebSocket.OPEN);
      b.close();
    } finally {
      pushSpy.mockRestore();
      sendSpy.mockRestore();
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
      await bounded.close();
    }
  });
});
