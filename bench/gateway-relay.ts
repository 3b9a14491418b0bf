/**
 * The floor of bench:gateway's own-process path: the least any gateway in a process of its own must
 * do for one subgraph call, and nothing else.
 *
 *   load ──TLS──▶ relay (this process) ──mutual TLS + a fresh signed internal context──▶ datasets subgraph
 *
 * HTTPS in (the gateway's certificate), the body forwarded unread, one single-use ES256 context per
 * call for a fixed principal (signed by the platform's own signer, as the gateway signs), mutual TLS
 * out over an undici pool (the gateway's client), the answer sent back as it came. No token check,
 * tenant, limits, slots, metering or GraphQL: what Tessera's gateway costs above this process is what
 * its features cost; what this process costs above the direct path is what the layout costs.
 *
 * Started by bench/gateway.bench.ts (`node --import tsx bench/gateway-relay.ts`) with RELAY_* in its
 * environment; prints `{"relayUrl": …}` on stdout once it listens.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { createInternalContextSigner, internalContextHeader, type Principal } from '@tessera/auth';
import { mutualTlsClientOptions } from '@tessera/service-kit';
import { readBody } from './http-body';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const identity = { ca: readFileSync(required('RELAY_CA_FILE'), 'utf8'), cert: readFileSync(required('RELAY_CERT_FILE'), 'utf8'), key: readFileSync(required('RELAY_KEY_FILE'), 'utf8') };
  const target = new URL(required('RELAY_TARGET_URL'));
  const audience = required('RELAY_AUDIENCE');
  const principal = JSON.parse(required('RELAY_PRINCIPAL')) as Principal;
  const sign = await createInternalContextSigner(JSON.parse(required('RELAY_PRIVATE_JWK')), { clientCertificate: identity.cert });
  const pool = new Pool(target.origin, { connections: 128, connect: mutualTlsClientOptions(identity, audience), headersTimeout: 0, bodyTimeout: 0 });

  const server = createServer({ cert: identity.cert, key: identity.key }, (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const context = await sign({ ...principal, requestId: randomUUID() }, audience);
      const reply = await pool.request({ path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', [internalContextHeader]: context }, body });
      const answer = await reply.body.text();
      res.writeHead(reply.statusCode, { 'content-type': 'application/json; charset=utf-8' });
      res.end(answer);
    })().catch(() => {
      res.statusCode = 502;
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.stdout.write(`${JSON.stringify({ relayUrl: `https://127.0.0.1:${port}${target.pathname}` })}\n`);
  });
  process.once('SIGTERM', () => {
    server.close();
    void pool.destroy().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
