import { readFileSync } from 'node:fs';
import { createServer, request, type Agent } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ensureLocalPki } from '@tessera/local-infra';
import { objectStoreTransport } from '@tessera/storage';

/**
 * The store closes a keep-alive connection it finds idle (a local store after 5 s). A request sent
 * on that connection at the same moment failed with ECONNRESET, which reached the caller as
 * SERVICE_UNAVAILABLE. The transport's pooled sockets are closed on our side first: before the
 * timeout the store announces (`Keep-Alive: timeout=N`), so the store never closes one under a request.
 */
describe('object store transport: idle sockets', () => {
  it('closes an idle pooled connection before the store does, and reuses it while it is fresh', async () => {
    const pki = ensureLocalPki();
    const s3 = pki.files('s3');
    const closedBy: string[] = [];
    const server = createServer({ key: readFileSync(s3.keyFile), cert: readFileSync(s3.certFile) }, (_req, res) => res.end('ok'));
    // A two-second keep-alive, announced in each answer as `Keep-Alive: timeout=2`.
    server.keepAliveTimeout = 2_000;
    const connections: Socket[] = [];
    server.on('secureConnection', (socket: Socket) => {
      connections.push(socket);
      let clientEnded = false;
      socket.on('end', () => (clientEnded = true));
      socket.on('close', () => closedBy.push(clientEnded ? 'client' : 'server'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const endpoint = `https://localhost:${port}`;
    const agent = objectStoreTransport({ endpoint, tlsCaFile: pki.caFile }).transportAgent as Agent;
    const get = () =>
      new Promise<string>((resolve, reject) => {
        const req = request(`${endpoint}/bucket/key`, { agent }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await get()).toBe('ok');
      expect(await get()).toBe('ok');
      // Both on one pooled connection.
      expect(connections).toHaveLength(1);
      // Left idle past the announced timeout: the connection is gone, and it was our side that closed it.
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      expect(closedBy).toEqual(['client']);
      expect(await get()).toBe('ok');
      expect(connections).toHaveLength(2);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
