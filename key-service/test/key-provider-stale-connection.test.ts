/**
 * A kept-alive connection to the key provider that the server closed while idle: the next request
 * sent on it fails with ECONNRESET before the server read it. Under load (many tenants provisioned
 * at once) this failed a provisioning now and then. A call that changes nothing is sent once more
 * on a new connection; one that changes state (a rotation) is not, and its error stands.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ensureLocalPki } from '@tessera/local-infra';
import { isKeyProviderError, VaultTransitKeyProvider } from '@tessera/key-provider';

let server: Server;
let provider: VaultTransitKeyProvider;
/** Each request's path and whether it came on a connection that had already answered one. */
const seen: Array<{ path: string; reused: boolean }> = [];

beforeAll(async () => {
  const pki = ensureLocalPki();
  const identity = pki.identity('keys');
  const answered = new WeakSet<Socket>();
  server = createServer({ cert: identity.cert, key: identity.key }, (req, res) => {
    const reused = answered.has(req.socket);
    seen.push({ path: req.url ?? '', reused });
    // What a server does with a connection it has just closed for idleness: nothing is answered.
    if (reused) return void req.socket.destroy();
    answered.add(req.socket);
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: req.url?.includes('/encrypt/') ? { ciphertext: 'vault:v1:AAAA' } : { keys: { 1: 0 }, latest_version: 1, min_decryption_version: 1 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  provider = new VaultTransitKeyProvider({ url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, keyName: 'tessera', ca: pki.ca, token: 'test-token', timeoutMs: 5_000 });
});

afterAll(async () => {
  provider?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

it('sends a wrap again on a new connection when its kept-alive one was reset, and never repeats a rotation', async () => {
  expect(await provider.wrap(Buffer.alloc(32), 'tenant:a:1')).toBe('vault:v1:AAAA');
  // The next wrap goes out on the kept-alive connection, which the server resets: sent again on a new one.
  expect(await provider.wrap(Buffer.alloc(32), 'tenant:a:1')).toBe('vault:v1:AAAA');
  expect(seen.filter((entry) => entry.path.includes('/encrypt/')).map((entry) => entry.reused)).toEqual([false, true, false]);
  // A rotation on a reset connection fails as before: it is not sent twice.
  const rotation = await provider.rotate().then(
    () => 'rotated',
    (error: unknown) => (isKeyProviderError(error) ? error.code : String(error)),
  );
  expect(rotation).toBe('KEY_PROVIDER_UNAVAILABLE');
  expect(seen.filter((entry) => entry.path.includes('/rotate'))).toEqual([{ path: expect.stringContaining('/rotate'), reused: true }]);
});
