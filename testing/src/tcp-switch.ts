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
  private holding: Array<() => void> | undefined;
  private onHeld: (() => void) | undefined;
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

  /** The waiting connections go through, and new ones too. */
  release(): void {
    const waiting = this.holding ?? [];
    this.holding = undefined;
    this.onHeld = undefined;
    for (const go of waiting) go();
  }

  private relay(client: Socket): void {
    if (client.destroyed) return;
    const upstream = connect(this.targetPort, this.targetHost);
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.on('error', () => undefined);
    client.pipe(upstream).pipe(client);
  }

  async off(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
