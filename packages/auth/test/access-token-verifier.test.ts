import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import { createAccessTokenVerifier, type AccessTokenVerifier } from '../src';

/**
 * The verifier against a real issuer endpoint (discovery and JWKS over HTTP on loopback) and tokens
 * signed with the key that endpoint publishes: everything refused here has a genuine signature,
 * issuer and audience, so it is refused for what it is, not for how it was signed.
 */
describe('access-token verifier', () => {
  const audience = 'tessera-api';
  let server: Server;
  let issuerUrl: string;
  let signingKey: KeyLike;
  let jwksFetches = 0;
  let verify: AccessTokenVerifier;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    signingKey = privateKey;
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/jwks` }));
      } else if (req.url === '/jwks') {
        jwksFetches += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    verify = createAccessTokenVerifier({
      issuerUrl,
      audience,
      algorithms: ['ES256'],
      tenantClaim: 'tenant',
      rolesClaim: 'roles',
      jwksCooldownMs: 60_000,
      jwksCacheMaxAgeMs: 600_000,
      clockToleranceSeconds: 5,
      verifiedTokenCacheMs: 0,
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sign = (claims: JWTPayload, header: Record<string, unknown> = {}, kid = 'k1') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, ...header }).setIssuer(issuerUrl).setAudience(audience).setSubject('user-1').setIssuedAt().setExpirationTime('5m').sign(signingKey);

  it('accepts access tokens as RFC 9068 and Keycloak write them', async () => {
    await expect(verify(await sign({ tenant: 'acme', roles: ['admin'] }, { typ: 'at+jwt' }))).resolves.toMatchObject({ subject: 'user-1', tenantId: 'acme', roles: ['admin'] });
    await expect(verify(await sign({ tenant: 'acme', roles: ['viewer'], typ: 'Bearer', azp: 'tessera-web' }, { typ: 'JWT' }))).resolves.toMatchObject({ tenantId: 'acme', roles: ['viewer'], clientId: 'tessera-web' });
    await expect(verify(await sign({ roles: ['platform_admin'] }))).resolves.toMatchObject({ tenantId: undefined, roles: ['platform_admin'] });
  });

  it('refuses ID, refresh and logout tokens of the same issuer and audience', async () => {
    // Keycloak: an ID token issued to the client whose id is the API's audience (password grant on tessera-api).
    const keycloakIdToken = await sign({ typ: 'ID', azp: audience, tenant: 'acme', roles: ['admin'], at_hash: 'aGFzaA', nonce: 'n-1' }, { typ: 'JWT' });
    const plainIdToken = await sign({ tenant: 'acme', roles: ['admin'], at_hash: 'aGFzaA' });
    const hybridIdToken = await sign({ tenant: 'acme', roles: ['admin'], c_hash: 'aGFzaA' });
    const refreshToken = await sign({ typ: 'Refresh', tenant: 'acme', roles: ['admin'] }, { typ: 'JWT' });
    const logoutToken = await sign({ tenant: 'acme', roles: ['admin'], events: {} }, { typ: 'logout+jwt' });
    for (const token of [keycloakIdToken, plainIdToken, hybridIdToken, refreshToken, logoutToken]) {
      await expect(verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'The token is not an access token.' });
    }
  });

  it('refuses a tenant claim that is present but names no tenant, whatever roles the token holds', async () => {
    for (const tenant of ['', ['acme'], [], 42, null, { id: 'acme' }]) {
      await expect(verify(await sign({ tenant, roles: ['platform_admin'] }))).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'The access token is invalid (tenant).' });
    }
  });

  it("refuses a subject or client id in the platform's own namespaces: the jobs service's principal check and the security log take them for the platform or an API key", async () => {
    // `system:` subjects' jobs are never checked for a member's removal, and their actions count as the platform's in the security log;
    // `service-account:` and `api-key:` are what an API key's requests are recorded as.
    const signAs = (subject: string, claims: JWTPayload = {}) =>
      new SignJWT({ tenant: 'acme', roles: ['data_scientist'], ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(issuerUrl).setAudience(audience).setSubject(subject).setIssuedAt().setExpirationTime('5m').sign(signingKey);
    for (const subject of ['system:job-runner', 'system:job-principal-check', 'service-account:0b7c5f3e-4d0a-4c55-9a53-3f5a3c1f0e11', 'SYSTEM:job-runner']) {
      await expect(verify(await signAs(subject))).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'The access token is invalid (sub).' });
    }
    for (const claims of [{ client_id: 'api-key:0123456789abcdef' }, { azp: 'api-key:0123456789abcdef' }, { client_id: 'API-KEY:0123456789abcdef' }]) {
      await expect(verify(await signAs('user-2', claims))).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'The access token is invalid (client_id).' });
    }
    // Those words elsewhere in a subject or client id are nobody's namespace.
    await expect(verify(await signAs('user:system:1', { client_id: 'my-api-key:1' }))).resolves.toMatchObject({ subject: 'user:system:1', clientId: 'my-api-key:1' });
  });

  it('says the issuer is unavailable, not that a valid token is invalid, when the key set cannot be refetched', async () => {
    // A second issuer whose JWKS answers, then fails, then is gone; its keys are trusted for 300 ms only.
    let jwksAnswer: 'keys' | 'error' = 'keys';
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' };
    const flaky = createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') res.writeHead(200).end(JSON.stringify({ issuer: flakyUrl, jwks_uri: `${flakyUrl}/jwks` }));
      else if (jwksAnswer === 'keys') res.writeHead(200).end(JSON.stringify({ keys: [publicJwk] }));
      else res.writeHead(500).end('internal error');
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const flakyUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;
    const verifyFlaky = createAccessTokenVerifier({ issuerUrl: flakyUrl, audience, algorithms: ['ES256'], tenantClaim: 'tenant', rolesClaim: 'roles', jwksCooldownMs: 0, jwksCacheMaxAgeMs: 300, clockToleranceSeconds: 5, verifiedTokenCacheMs: 0 });
    const valid = () => new SignJWT({ tenant: 'acme', roles: ['viewer'] }).setProtectedHeader({ alg: 'ES256', kid: 'k2' }).setIssuer(flakyUrl).setAudience(audience).setSubject('user-2').setIssuedAt().setExpirationTime('5m').sign(privateKey);
    const unavailable = { code: 'SERVICE_UNAVAILABLE', message: 'The identity provider cannot be reached to verify the token.' };
    try {
      await expect(verifyFlaky(await valid())).resolves.toMatchObject({ subject: 'user-2' });
      await new Promise((resolve) => setTimeout(resolve, 400));
      jwksAnswer = 'error';
      await expect(verifyFlaky(await valid())).rejects.toMatchObject(unavailable);
    } finally {
      flaky.closeAllConnections();
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
    await expect(verifyFlaky(await valid())).rejects.toMatchObject(unavailable);
    // A token naming a key the (reachable) issuer does not publish is still the token's fault.
    await expect(verify(await sign({ tenant: 'acme' }, {}, 'not-published'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('fetches the JWKS at most once per cooldown, however many unknown kids arrive', async () => {
    await verify(await sign({ tenant: 'acme', roles: ['viewer'] }));
    const before = jwksFetches;
    const unknown = await Promise.all(Array.from({ length: 40 }, (_, i) => sign({ tenant: 'acme', roles: ['viewer'] }, {}, `unknown-${i}`)));
    for (const token of unknown) await expect(verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(jwksFetches - before).toBeLessThanOrEqual(1);
  });

  it('asks a failing issuer for its discovery document once per pause, however many requests arrive, then again', async () => {
    let discoveries = 0;
    const down = createServer((_req, res) => {
      discoveries += 1;
      res.writeHead(503).end('down');
    });
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const downUrl = `http://127.0.0.1:${(down.address() as AddressInfo).port}`;
    const verifyDown = createAccessTokenVerifier({ issuerUrl: downUrl, audience, algorithms: ['ES256'], tenantClaim: 'tenant', rolesClaim: 'roles', jwksCooldownMs: 0, jwksCacheMaxAgeMs: 300, clockToleranceSeconds: 5, verifiedTokenCacheMs: 0, discoveryRetryMs: 500 });
    try {
      for (let i = 0; i < 30; i += 1) await expect(verifyDown(`garbage-${i}`)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(discoveries).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 700));
      await expect(verifyDown('garbage-again')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(discoveries).toBe(2);
    } finally {
      await new Promise<void>((resolve) => down.close(() => resolve()));
    }
  });
});
