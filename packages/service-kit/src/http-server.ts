import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface RunningHttpServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Listens on `port` (0 = any free port) and returns the base URL; `close` also drops idle keep-alive sockets. */
export async function listen(app: Express | ((req: never, res: never) => void), port: number, host = '127.0.0.1'): Promise<RunningHttpServer> {
  const server = createServer(app as Parameters<typeof createServer>[0]);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
