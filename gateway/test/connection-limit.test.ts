import { connect, type TLSSocket } from 'node:tls';
import { errorCodes, postGraphQL, startTestStack, type TestStack, type TestTenant } from '@tessera/testing';
import type { RunningGateway } from '../src/server';
import { startExtraGateway } from './subscriptions-support';

/** A TLS connection to `gateway`, or the way it ended before the handshake finished. */
function openConnection(stack: TestStack, gateway: RunningGateway): Promise<TLSSocket | 'refused'> {
  const url = new URL(gateway.graphqlUrl);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), ca: stack.pki.ca, servername: 'localhost' }, () => resolve(socket));
    socket.once('error', () => resolve('refused'));
    socket.once('close', () => resolve('refused'));
  });
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('gateway: connections per client address', () => {
  let stack: TestStack;
  let tenant: TestTenant;
  let direct: RunningGateway;
  let behindProxy: RunningGateway;
  const open: TLSSocket[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    tenant = await stack.createTenant();
    // Clients reach `direct` straight (no proxy is trusted, so 127.0.0.1 is a client address like any);
    // `behindProxy` trusts the loopback proxy in front of it, as the default does.
    direct = await startExtraGateway(stack, {}, undefined, 0, { trustedProxies: [], limits: { connectionsPerAddress: 3 } });
    behindProxy = await startExtraGateway(stack, {}, undefined, 0, { trustedProxies: ['loopback'], limits: { connectionsPerAddress: 3 } });
  });

  afterAll(async () => {
    for (const socket of open) socket.destroy();
    await direct?.close();
    await behindProxy?.close();
    await stack?.stop();
  });

  it('closes a connection past the cap before its TLS handshake; a freed place is taken again, and requests are answered', async () => {
    for (let i = 0; i < 3; i += 1) {
      const socket = await openConnection(stack, direct);
      expect(socket).not.toBe('refused');
      open.push(socket as TLSSocket);
    }
    expect(direct.connectionsFrom('127.0.0.1')).toBe(3);
    expect(await openConnection(stack, direct)).toBe('refused');
    expect(direct.connectionsFrom('127.0.0.1')).toBe(3);

    open.shift()!.destroy();
    await until(() => direct.connectionsFrom('127.0.0.1') === 2);
    const again = await openConnection(stack, direct);
    expect(again).not.toBe('refused');
    open.push(again as TLSSocket);
    for (const socket of open.splice(0)) socket.destroy();
    await until(() => direct.connectionsFrom('127.0.0.1') === 0);

    // Within the cap the gateway answers as usual (the client's keep-alive connection counts once).
    const token = await tenant.token('viewer');
    const answer = await postGraphQL(direct.graphqlUrl, token, '{ datasets { edges { node { id } } } }');
    expect(answer.status).toBe(200);
    expect(errorCodes(answer)).toEqual([]);
  });

  it('does not cap a trusted proxy: its connections carry many clients', async () => {
    for (let i = 0; i < 6; i += 1) {
      const socket = await openConnection(stack, behindProxy);
      expect(socket).not.toBe('refused');
      open.push(socket as TLSSocket);
    }
    expect(behindProxy.connectionsFrom('127.0.0.1')).toBe(0);
    for (const socket of open.splice(0)) socket.destroy();
  });
});
