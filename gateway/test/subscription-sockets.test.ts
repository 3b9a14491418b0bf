import WebSocket from 'ws';
import type { LogFields, Logger } from '@tessera/config';
import { expectNoErrors, postGraphQL, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import type { RunningGateway } from '../src/server';
import { maxUnsentBytes } from '../src/subscriptions/subscription-gateway';
import { maxUnauthenticatedSocketsPerAddress } from '../src/subscriptions/subscription-limits';
import { CollectedSubscription, connectSubscriptions, sleep, startExtraGateway, type TestSubscriptionClient } from './subscriptions-support';

jest.setTimeout(120_000);

/** A raw graphql-ws socket (no client library), to send what a well-behaved client never would. */
function rawSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('client sockets of the subscription gateway (a second gateway over the stack\'s subgraphs, maxOpenSubscriptions 2)', () => {
  let stack: TestStack;
  let acme: TestTenant;
  let globex: TestTenant;
  let gateway: RunningGateway;
  const clients: TestSubscriptionClient[] = [];

  const connect = (token: string) => {
    const connection = connectSubscriptions(gateway.graphqlUrl, { authorization: `Bearer ${token}` });
    clients.push(connection);
    return connection;
  };
  /** Resolves with 'connected' or the close code, whichever comes first. */
  const outcome = (connection: TestSubscriptionClient) =>
    Promise.race([connection.connected.then(() => 'connected' as const), connection.closed.then((close) => close)]);

  beforeAll(async () => {
    stack = await startTestStack();
    [acme, globex] = await Promise.all([stack.createTenant(), stack.createTenant()]);
    // Each connection_init reads the tenant from the database: the check takes a few milliseconds.
    gateway = await startExtraGateway(stack, { maxOpenSubscriptions: 2 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.stop();
  });

  it('a tenant holds at most maxOpenSubscriptions authenticated sockets on a replica (4431 past it), even subscribing to nothing; another tenant is unaffected; a closed socket frees its place', async () => {
    const token = await acme.token('viewer');
    const first = connect(token);
    const second = connect(token);
    expect(await outcome(first)).toBe('connected');
    expect(await outcome(second)).toBe('connected');
    const third = connect(token);
    expect(await outcome(third)).toEqual({ code: 4431, reason: 'Too many connections: your tenant has 2 open sockets here (maxOpenSubscriptions)' });

    const other = connect(await globex.token('viewer'));
    expect(await outcome(other)).toBe('connected');
    // The other tenant's socket serves subscriptions as before.
    const stream = new CollectedSubscription(other.client, { query: 'subscription { jobProgress(jobId: "00000000-0000-4000-8000-000000000000") { jobId } }' });
    await stream.until((results) => results.length > 0);
    expect(stream.results[0]?.errors?.map((e) => e.extensions?.['code'])).toEqual(['NOT_FOUND']);

    await first.dispose();
    await first.closed;
    let again: 'connected' | { code: number } = { code: 0 };
    for (let attempt = 0; attempt < 20 && again !== 'connected'; attempt++) {
      const retry = connect(token);
      again = await outcome(retry);
      if (again !== 'connected') await sleep(50);
    }
    expect(again).toBe('connected');
  });

  it('sockets that close while their connection_init is being checked leave nothing behind: the tenant still opens its sockets afterwards', async () => {
    const token = await acme.token('viewer');
    for (let round = 0; round < 10; round++) {
      const sockets = await Promise.all(Array.from({ length: 4 }, () => rawSocket(gateway.graphqlUrl)));
      for (const socket of sockets) {
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
        socket.terminate();
      }
    }
    // Whatever the gateway was still checking has finished by now.
    await sleep(1_000);
    const first = connect(token);
    const second = connect(token);
    expect(await outcome(first)).toBe('connected');
    expect(await outcome(second)).toBe('connected');
  });

  it('a client that keeps sending and never reads is dropped once the replies waiting for it pass maxUnsentBytes, instead of the gateway buffering all it sends; the replies it left unread are not logged as errors', async () => {
    const logged = jest.spyOn(console, 'error');
    const socket = await rawSocket(gateway.graphqlUrl);
    let pongs = 0;
    socket.on('message', (data) => {
      if (String(data).startsWith('{"type":"pong"')) pongs++;
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const acked = new Promise<void>((resolve) => socket.on('message', (data) => String(data).includes('connection_ack') && resolve()));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await acme.token('viewer')}` } }));
    await acked;
    // Reads nothing from here on; each ping asks for its 64 KB payload back.
    socket.pause();
    const payload = { padding: 'x'.repeat(64 * 1024) };
    // More than the kernel's socket buffers (up to ~36 MB here) and maxUnsentBytes together, as the
    // line below checks: 62.5 MiB. Had the gateway buffered every reply, all 1 000 pongs would come.
    const pings = 1_000;
    expect(pings * 64 * 1024).toBeGreaterThan(48 * 1024 * 1024 + maxUnsentBytes);
    for (let i = 0; i < pings; i++) socket.send(JSON.stringify({ type: 'ping', payload }));
    while (socket.bufferedAmount > 0) await sleep(50);
    await sleep(1_000);
    socket.resume();
    let settled = false;
    const ended = await Promise.race([
      closed,
      (async () => {
        while (pongs < pings && !settled) await sleep(50);
        return 'every pong arrived' as const;
      })(),
    ]);
    settled = true;
    expect(ended).toBe(1006);
    expect(pongs).toBeLessThan(pings);
    expect(logged.mock.calls.filter((call) => String(call[0]).startsWith('Internal error'))).toEqual([]);
    logged.mockRestore();
  });

  it('a client that ignores the close frame cannot go on subscribing on the closing socket: nothing it sends then is charged to its tenant', async () => {
    const jobEvents = 'subscription { jobEvents { jobId status } }';
    // A budget for one such subscription (10 units for subscribing, a few for the fields), barely refilled.
    const tenant = await stack.createTenant({ limits: { costBurst: 20, costPerMinute: 20 } });
    const token = await tenant.token('viewer');
    const socket = await rawSocket(gateway.graphqlUrl);
    try {
      const acked = new Promise<void>((resolve) => socket.on('message', (data) => String(data).includes('connection_ack') && resolve()));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      await acked;
      // This client never answers a close frame and keeps its side open, as a misbehaving one can
      // (ws answers from close(); its receiver records the frame it got).
      (socket as unknown as { close: () => void }).close = () => undefined;
      const received = socket as unknown as { _closeFrameReceived: boolean };
      await stack.platform.provisioner.setSuspended(tenant.id, true);
      while (!received._closeFrameReceived) await sleep(50);
      await stack.platform.provisioner.setSuspended(tenant.id, false);
      // Still open on the client's side: it subscribes on the socket the gateway is closing.
      for (const id of ['late-1', 'late-2']) socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: jobEvents } }));
      await sleep(1_000);
      // A well-behaved client of the same tenant still has its budget for one subscription.
      const connection = connect(token);
      await connection.connected;
      // A refusal ends a subscription with an error message; a subscription that got its budget stays live.
      const codesOf = (ended: { kind: string; error?: unknown }) => (ended.kind === 'error' ? (ended.error as Array<{ extensions?: { code?: string } }>).map((error) => error.extensions?.code) : []);
      const stream = new CollectedSubscription(connection.client, { query: jobEvents });
      expect(await Promise.race([stream.ended.then(codesOf), sleep(1_500).then(() => 'live')])).toBe('live');
      // The budget is real: a second one is over it.
      const second = new CollectedSubscription(connection.client, { query: jobEvents });
      expect(codesOf(await second.ended)).toEqual(['RATE_LIMITED']);
    } finally {
      socket.terminate();
    }
  });

  it('a subscribe sent on an open socket after its API key was revoked is refused at once (FORBIDDEN) and the socket closes (4403), not only at the next periodic re-check', async () => {
    const jobEvents = 'subscription { jobEvents { jobId status } }';
    // Its sockets are re-checked once a minute: what happens sooner is the subscribe's own check.
    const slow = await startExtraGateway(stack, {}, undefined, 60_000);
    try {
      const admin = await acme.token('admin');
      const account = expectNoErrors(await postGraphQL<{ createServiceAccount: { id: string } }>(slow.graphqlUrl, admin, 'mutation { createServiceAccount(input: { name: "ws-bot", role: VIEWER }) { id } }')).createServiceAccount;
      const { secret, apiKey } = expectNoErrors(
        await postGraphQL<{ createApiKey: { secret: string; apiKey: { id: string } } }>(slow.graphqlUrl, admin, 'mutation Key($id: ID!) { createApiKey(input: { serviceAccountId: $id }) { secret apiKey { id } } }', { id: account.id }),
      ).createApiKey;
      const socket = connectSubscriptions(slow.graphqlUrl, { authorization: `Bearer ${secret}` });
      clients.push(socket);
      await socket.connected;
      const codesOf = (ended: { kind: string; error?: unknown }) => (ended.kind === 'error' && Array.isArray(ended.error) ? (ended.error as Array<{ extensions?: { code?: string } }>).map((error) => error.extensions?.code) : [ended.kind]);
      const before = new CollectedSubscription(socket.client, { query: jobEvents });
      expect(await Promise.race([before.ended.then(codesOf), sleep(500).then(() => 'live')])).toBe('live');

      // Revoked through this gateway: its access cache has dropped the key when the answer arrives.
      expectNoErrors(await postGraphQL(slow.graphqlUrl, admin, 'mutation Revoke($id: ID!) { revokeApiKey(id: $id) { id } }', { id: apiKey.id }));
      const started = Date.now();
      const after = new CollectedSubscription(socket.client, { query: jobEvents });
      expect(codesOf(await after.ended)).toEqual(['FORBIDDEN']);
      expect(await socket.closed).toEqual({ code: 4403, reason: 'Forbidden: access withdrawn' });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await slow.close();
    }
  });

  it('one address holds at most maxUnauthenticatedSocketsPerAddress sockets before connection_init is accepted (1013 past it); closing or authenticating one frees its place', async () => {
    const closeOf = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const waiting = await Promise.all(Array.from({ length: maxUnauthenticatedSocketsPerAddress }, () => rawSocket(gateway.graphqlUrl)));
    try {
      const extra = await rawSocket(gateway.graphqlUrl);
      expect(await closeOf(extra)).toBe(1013);
      // One of them leaves: its place is free for the next.
      const leaving = waiting.shift()!;
      const left = closeOf(leaving);
      leaving.terminate();
      await left;
      await sleep(100);
      const next = await rawSocket(gateway.graphqlUrl);
      waiting.push(next);
      expect(await Promise.race([closeOf(await rawSocket(gateway.graphqlUrl)), sleep(1_000).then(() => 'open')])).toBe(1013);
      // One of them authenticates: it is no longer waiting, and its place is free too (it stays open).
      const acked = new Promise<void>((resolve) => next.on('message', (data) => String(data).includes('connection_ack') && resolve()));
      next.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await acme.token('viewer')}` } }));
      await acked;
      const another = await rawSocket(gateway.graphqlUrl);
      waiting.push(another);
      expect(await Promise.race([closeOf(another), sleep(500).then(() => 'open')])).toBe('open');
      expect(next.readyState).toBe(WebSocket.OPEN);
    } finally {
      for (const socket of waiting) socket.terminate();
    }
  });

  it('sockets that never send connection_init and ignore the close frame are dropped a second after their 4408, not after ws\'s 30 s close wait: their address gets its places back', async () => {
    const closeOf = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const waiting = await Promise.all(Array.from({ length: maxUnauthenticatedSocketsPerAddress }, () => rawSocket(gateway.graphqlUrl)));
    try {
      const gone = waiting.map((socket) => {
        // These clients never answer a close frame and keep their side open (ws answers from close()).
        (socket as unknown as { close: () => void }).close = () => undefined;
        return closeOf(socket);
      });
      // Every place of the address is taken now.
      expect(await closeOf(await rawSocket(gateway.graphqlUrl))).toBe(1013);
      // graphql-ws closes each at its 3 s init timeout; the gateway drops the connection a second later.
      // Before, ws waited 30 s for the close frames that never come, and the address stayed refused.
      const closedBy = await Promise.race([Promise.all(gone).then(() => 'server'), sleep(15_000).then(() => 'still open')]);
      expect(closedBy).toBe('server');
      for (const socket of waiting) expect((socket as unknown as { _closeFrameReceived: boolean })._closeFrameReceived).toBe(true);
      await sleep(100);
      // The address's places are free again.
      const next = await rawSocket(gateway.graphqlUrl);
      waiting.push(next);
      expect(await Promise.race([closeOf(next), sleep(500).then(() => 'open')])).toBe('open');
    } finally {
      for (const socket of waiting) socket.terminate();
    }
  });

  it('refusals a client can repeat at will write a bounded log: none per refused token (the security log counts those), one a minute per tenant at its socket limit', async () => {
    const lines: Array<{ message: string; fields: LogFields }> = [];
    const at = (message: string, fields: LogFields = {}) => void lines.push({ message, fields });
    const capturing: Logger = { debug: at, info: at, warn: at, error: at, child: () => capturing };
    const watched = await startExtraGateway(stack, { maxOpenSubscriptions: 2 }, undefined, 0, { logger: capturing });
    const closeOf = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    try {
      // Without a valid token, 40 sockets (in rounds under the per-address limit of waiting sockets).
      const refusedCodes: number[] = [];
      for (let round = 0; round < 5; round++) {
        const sockets = await Promise.all(Array.from({ length: 8 }, () => rawSocket(watched.graphqlUrl)));
        const closed = sockets.map(closeOf);
        for (const socket of sockets) socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer not-a-token' } }));
        refusedCodes.push(...(await Promise.all(closed)));
      }
      expect(refusedCodes.every((code) => code === 4401 || code === 4430)).toBe(true);

      // A tenant at its limit of 2 sockets, trying 20 more.
      const token = await acme.token('viewer');
      const kept = [connectSubscriptions(watched.graphqlUrl, { authorization: `Bearer ${token}` }), connectSubscriptions(watched.graphqlUrl, { authorization: `Bearer ${token}` })];
      clients.push(...kept);
      for (const connection of kept) expect(await outcome(connection)).toBe('connected');
      for (let attempt = 0; attempt < 20; attempt++) {
        const extra = connectSubscriptions(watched.graphqlUrl, { authorization: `Bearer ${token}` });
        clients.push(extra);
        expect(await outcome(extra)).toMatchObject({ code: 4431 });
      }

      const refusals = lines.filter((line) => line.message.startsWith('subscription socket refused'));
      expect(refusals).toEqual([{ message: 'subscription socket refused: too many sockets', fields: { tenantId: acme.id, limit: 2, notLoggedSinceLast: 0 } }]);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
      await watched.close();
    }
  });
});
