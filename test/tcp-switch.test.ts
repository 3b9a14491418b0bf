import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { TcpSwitch } from '@tessera/testing';

/**
 * The relay the job tests hold runs with (testing/src/tcp-switch.ts), over plain TCP: a held
 * connection waits unanswered until release; with `holdAnswers`, a call on an open connection
 * reaches the service while its answer waits until release.
 */
describe('TcpSwitch', () => {
  let server: Server;
  let relay: TcpSwitch;
  const received: string[] = [];
  const clients: Socket[] = [];

  beforeAll(async () => {
    // Answers each chunk with itself, and notes what reached it.
    server = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk.toString());
        socket.write(chunk);
      });
      socket.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    relay = new TcpSwitch('127.0.0.1', (server.address() as { port: number }).port);
    await relay.on();
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await relay.off();
    server.close();
  });

  const open = async () => {
    const client = connect(relay.port, '127.0.0.1');
    clients.push(client);
    await once(client, 'connect');
    return client;
  };
  const answer = (client: Socket) => new Promise<string>((resolve) => client.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  const until = async (check: () => boolean) => {
    while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  // Time for bytes the relay wrongly let through to arrive over loopback (a negative check only).
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('holdAnswers: the next call on an open connection reaches the service; its answer waits until release, and later calls flow', async () => {
    const client = await open();
    client.write('first');
    expect(await answer(client)).toBe('first');

    const { held } = relay.holdAnswers();
    let answered: string | undefined;
    void answer(client).then((text) => (answered = text));
    client.write('second');
    await held;
    await until(() => received.includes('second'));
    // The service has it and has answered; the client has nothing yet.
    await settle();
    expect(answered).toBeUndefined();

    relay.release();
    await until(() => answered !== undefined);
    expect(answered).toBe('second');
    client.write('third');
    expect(await answer(client)).toBe('third');
  });

  it('hold: a new connection waits unanswered until release; an open one is cut', async () => {
    const before = await open();
    const cut = once(before, 'close');
    const { held } = relay.hold();
    await cut;
    const client = await open();
    await held;
    client.write('waiting');
    let answered: string | undefined;
    void answer(client).then((text) => (answered = text));
    await settle();
    expect(received).not.toContain('waiting');
    relay.release();
    await until(() => answered !== undefined);
    expect(answered).toBe('waiting');
  });
});
