/**
 * Hive Gateway (`@graphql-hive/gateway`, a dev dependency of the benches only) in a process of its
 * own, configured to do what Tessera's gateway does on the benched path, for `npm run bench:peer`:
 *
 * - serve the supergraph Tessera's gateway composed, over HTTPS with the gateway's certificate;
 * - verify the client's access token against the issuer's JWKS (its `useJWT` plugin: jwks-rsa keys,
 *   jsonwebtoken verification of issuer, audience and algorithm; missing or invalid tokens refused);
 * - call each subgraph over mutual TLS with the gateway's client certificate (the agent Tessera uses);
 * - send each subgraph call a fresh internal context signed for that subgraph and bound to that
 *   certificate, by Tessera's own signer, so the subgraphs verify it exactly as they verify Tessera's;
 * - call the subgraph once per client request: in-flight deduplication off (see below).
 *
 * Environment: HIVE_SUPERGRAPH_FILE, HIVE_SUBGRAPHS (JSON name → URL), TLS_CA_FILE, TLS_CERT_FILE,
 * TLS_KEY_FILE, OIDC_ISSUER_URL, OIDC_AUDIENCE, OIDC_ALGORITHMS, OIDC_TENANT_CLAIM, OIDC_ROLES_CLAIM,
 * INTERNAL_CONTEXT_PRIVATE_KEY. Prints `{"message":"hive listening","url":…}` on stderr.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { Agent } from 'node:https';
import { createGatewayRuntime, createRemoteJwksSigningKeyProvider, useJWT, type GatewayPlugin } from '@graphql-hive/gateway';
import { createInternalContextSigner, internalContextHeader, parseRoles, readClaim, requestIdHeader, type Principal } from '@tessera/auth';
import { mutualTlsClientOptions } from '@tessera/service-kit';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const identity = { ca: readFileSync(required('TLS_CA_FILE'), 'utf8'), cert: readFileSync(required('TLS_CERT_FILE'), 'utf8'), key: readFileSync(required('TLS_KEY_FILE'), 'utf8') };
  const subgraphs = JSON.parse(required('HIVE_SUBGRAPHS')) as Record<string, string>;
  const subgraphOfUrl = new Map(Object.entries(subgraphs).map(([name, url]) => [url, name]));
  const agents = new Map(Object.keys(subgraphs).map((name) => [name, new Agent({ keepAlive: true, maxSockets: 128, ...mutualTlsClientOptions(identity, name) })]));
  const sign = await createInternalContextSigner(JSON.parse(required('INTERNAL_CONTEXT_PRIVATE_KEY')), { clientCertificate: identity.cert });
  const issuer = required('OIDC_ISSUER_URL');
  const tenantClaim = required('OIDC_TENANT_CLAIM');
  const rolesClaim = required('OIDC_ROLES_CLAIM');
  const discovery = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`).then((r) => r.json() as Promise<{ jwks_uri: string }>);

  /** The internal context, per subgraph call: who the verified token names, for that subgraph. */
  const internalContext: GatewayPlugin = {
    onFetch({ url, options, setOptions, context }) {
      const subgraph = subgraphOfUrl.get(url);
      const payload = (context as { jwt?: { payload?: Record<string, unknown> } }).jwt?.payload;
      if (!subgraph || !payload) return;
      const tenant = readClaim(payload, tenantClaim);
      const clientId = payload['client_id'] ?? payload['azp'];
      const requestId = randomUUID();
      const principal: Principal = {
        kind: 'user',
        subject: String(payload['sub']),
        tenantId: typeof tenant === 'string' ? tenant : undefined,
        roles: parseRoles(readClaim(payload, rolesClaim)),
        clientId: typeof clientId === 'string' ? clientId : undefined,
        requestId,
        sourceIp: undefined,
      };
      return sign(principal, subgraph).then((token) => {
        setOptions({ ...options, headers: { ...(options.headers as Record<string, string>), [internalContextHeader]: token, [requestIdHeader]: requestId } });
      });
    },
  };

  const runtime = createGatewayRuntime({
    supergraph: readFileSync(required('HIVE_SUPERGRAPH_FILE'), 'utf8'),
    logging: false,
    landingPage: false,
    graphiql: false,
    customAgent: ({ url }) => agents.get(subgraphOfUrl.get(url) ?? '') ?? false,
    // On by default in Hive's HTTP executor, keyed by URL, method and body only: the internal
    // context (the one carrier of the tenant) is added later, in onFetch, so identical queries of
    // two tenants in flight at once would share one subgraph call made as the first tenant.
    transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } },
    plugins: () => [
      // Its declared type names the ESM and CJS builds of Hive's logger as two types; it is one plugin.
      useJWT({
        signingKeyProviders: [createRemoteJwksSigningKeyProvider({ jwksUri: discovery.jwks_uri, requestAgent: new Agent({ ca: identity.ca, keepAlive: true }) })],
        tokenVerification: { issuer, audience: required('OIDC_AUDIENCE'), algorithms: required('OIDC_ALGORITHMS').split(',') as never },
        reject: { missingToken: true, invalidToken: true },
      }) as unknown as GatewayPlugin,
      internalContext,
    ],
  });
  const server = createServer({ cert: identity.cert, key: identity.key }, runtime);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stderr.write(`${JSON.stringify({ message: 'hive listening', url: `https://127.0.0.1:${port}/graphql` })}\n`);
  process.on('SIGTERM', () => {
    server.close();
    void Promise.resolve(runtime.dispose?.()).finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
