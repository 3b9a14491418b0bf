import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a service that the test can switch off (new connections refused, open
 * ones cut) and on again on the same port: an outage of that service, as a client sees it. It can
 * also hold: open connections are cut and new ones wait unanswered until `release`, so a test
 * learns the moment a client starts a call (`held`) and decides what happens before it goes on.
 */
export class TcpSwitch {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Each relayed client connection and its connection to the service. */
  private readonly upstreams = new Map<Socket, Socket>();
  private holding: Array<() => void> | undefined;
  private onHeld: (() => void) | undefined;
  private answering: Array<() => void> | undefined;
  /** Bytes a connection may send towards the service (counted from `cutUploadsOver`) before it is cut. */
  private uploadBudget: number | undefined;
  private readonly sent = new Map<Socket, number>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async on(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      client.on('error', () => undefined);
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      if (this.holding) {
        client.pause();
        this.holding.push(() => this.relay(client));
        this.onHeld?.();
        return;
      }
      this.relay(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Cuts open connections; new ones wait. Resolves with a promise of the first one to arrive. */
  hold(): { held: Promise<void> } {
    for (const socket of this.sockets) socket.destroy();
    this.holding = [];
    return { held: new Promise<void>((resolve) => (this.onHeld = resolve)) };
  }

  /**
   * Holds the answer to the next call on each open connection (a keep-alive connection, past its
   * TLS handshake): the call reaches the service, which acts on it, but its answer waits until
   * `release`. Resolves `held` when the first such call has gone through. New connections are
   * relayed as usual.
   */
  holdAnswers(): { held: Promise<void> } {
    const answering: Array<() => void> = [];
    this.answering = answering;
    let first: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (first = resolve));
    for (const [client, upstream] of this.upstreams) {
      // Added after the pipe's own listener: the call's bytes are on their way before the answer is held.
      const onCall = () => {
        upstream.unpipe(client);
        upstream.pause();
        answering.push(() => upstream.pipe(client));
        first?.();
      };
      client.once('data', onCall);
      answering.push(() => client.off('data', onCall));
    }
    return { held };
  }

  /** The waiting connections go through, and new ones too; held answers are delivered. */
  release(): void {
    const waiting = [...(this.holding ?? []), ...(this.answering ?? [])];
    this.holding = undefined;
    this.onHeld = undefined;
    this.answering = undefined;
    for (const go of waiting) go();
  }

  /**
   * Cuts any connection once it has sent more than `bytes` towards the service since this call: a
   * store that fails in the middle of a large upload while small requests (and every download) still
   * go through. `undefined` lifts it.
   */
  cutUploadsOver(bytes: number | undefined): void {
    this.uploadBudget = bytes;
    for (const client of this.upstreams.keys()) this.sent.set(client, 0);
  }

  private relay(client: Socket): void {
    if (client.destroyed) return;
    const upstream = connect(this.targetPort, this.targetHost);
    this.sockets.add(upstream);
    this.upstreams.set(client, upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      this.upstreams.delete(client);
    });
    upstream.on('error', () => undefined);
    this.sent.set(client, 0);
    client.on('close', () => this.sent.delete(client));
    client.on('data', (chunk: Buffer) => {
      const sent = (this.sent.get(client) ?? 0) + chunk.length;
      this.sent.set(client, sent);
      if (this.uploadBudget !== undefined && sent > this.uploadBudget) {
        client.destroy();
        upstream.destroy();
      }
    });
    client.pipe(upstream).pipe(client);
  }

  async off(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
