// Jest runs CommonJS and cannot load the ESM-only oidc-provider in-process, so the issuer runs as
// a child process (src/main.ts) and is exercised only over HTTPS, like the gateway does.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { ensureLocalPki, trustCaInThisProcess } from '@tessera/local-infra';
import { fetchClientCredentialsToken, registerClient } from '../src/client.ts';

// The issuer serves HTTPS with the local CA's `oidc` certificate; this process trusts the CA.
const pki = ensureLocalPki();
trustCaInThisProcess(pki.ca);

const REPO_ROOT = resolve(__dirname, '../../..');
const MAIN = resolve(__dirname, '../src/main.ts');
const AUDIENCE = 'https://api.tessera.local';
const REGISTRATION_TOKEN = 'test-initial-access-token';
const CLIENTS = [
  { clientId: 'acme-admin', clientSecret: 'acme-admin-secret', tenant: 'acme', roles: ['admin', 'analyst'] },
  { clientId: 'platform-ops', clientSecret: 'platform-ops-secret', roles: ['platform-operator'] },
  { clientId: 'short-lived', clientSecret: 'short-lived-secret', tenant: 'acme', roles: ['viewer'], tokenTtlSeconds: 1 },
];

interface Discovery {
  issuer: string;
  jwks_uri: string;
  token_endpoint: string;
  registration_endpoint: string;
  end_session_endpoint?: string;
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
}

let child: ChildProcessWithoutNullStreams;
let stderr = '';
const lines: string[] = [];
const lineWaiters: Array<(line: string) => void> = [];
let issuerUrl: string;
let discovery: Discovery;

function nextLine(timeoutMs = 20_000): Promise<string> {
  const ready = lines.shift();
  if (ready !== undefined) return Promise.resolve(ready);
  return new Promise((resolveLine, reject) => {
    const timer = setTimeout(() => {
      lineWaiters.splice(lineWaiters.indexOf(onLine), 1);
      reject(new Error(`no stdout line from the issuer within ${timeoutMs}ms; stderr:\n${stderr}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      clearTimeout(timer);
      resolveLine(line);
    };
    lineWaiters.push(onLine);
  });
}

function verifier() {
  // A fresh key set per call: a cached one would not refetch within its cooldown after rotation.
  return createRemoteJWKSet(new URL(discovery.jwks_uri));
}

function verify(token: string, audience = AUDIENCE): Promise<JWTPayload> {
  return jwtVerify(token, verifier(), { issuer: issuerUrl, audience, algorithms: ['ES256'], typ: 'at+jwt' }).then(
    (result) => result.payload,
  );
}

// One PKCE pair for every sign-in of this file (RFC 7636's example verifier).
const codeVerifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const codeChallenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

async function registerBrowserClient(redirectUri: string): Promise<string> {
  const response = await fetch(discovery.registration_endpoint, {
    method: 'POST',
    headers: { authorization: `Bearer ${REGISTRATION_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { client_id: string }).client_id;
}

/** What a browser does: authorize, the sign-in form, and back with a code (cookies kept by hand). */
async function signIn(clientId: string, redirectUri: string, username: string, password: string): Promise<{ code: string; cookies: Map<string, string> }> {
  const cookies = new Map<string, string>();
  const step = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...value] = pair!.split('=');
      cookies.set(name!, value.join('='));
    }
    return response;
  };
  const authorize = new URL('/auth', issuerUrl);
  authorize.search = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid offline_access', code_challenge: codeChallenge, code_challenge_method: 'S256', state: 'xyz', resource: AUDIENCE }).toString();
  const toLogin = await step(authorize.href);
  const interaction = new URL(toLogin.headers.get('location')!, issuerUrl).href;
  const form = await step(interaction);
  expect(form.status).toBe(200);
  expect(await form.text()).toContain('<label for="username">');
  const login = await step(`${interaction}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username, password }).toString() });
  if (login.status !== 303) throw new Error(`sign-in answered HTTP ${login.status}`);
  let location = new URL(login.headers.get('location')!, issuerUrl).href;
  while (!location.startsWith(redirectUri)) {
    const next = await step(location);
    location = new URL(next.headers.get('location')!, issuerUrl).href;
  }
  const callback = new URL(location);
  expect(callback.searchParams.get('state')).toBe('xyz');
  return { code: callback.searchParams.get('code')!, cookies };
}

async function tokenRequest(form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(discovery.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO_ROOT, // `--import tsx` resolves tsx from the working directory
    env: {
      ...process.env,
      ISSUER_PORT: '0',
      ISSUER_AUDIENCE: AUDIENCE,
      ISSUER_CLIENTS_JSON: JSON.stringify(CLIENTS),
      ISSUER_BROWSER_CLIENTS_JSON: JSON.stringify([{ clientId: 'console', redirectUris: ['https://localhost:5997/callback'] }]),
      ISSUER_REGISTRATION_TOKEN: REGISTRATION_TOKEN,
      ISSUER_TLS_CERT_FILE: pki.files('oidc').certFile,
      ISSUER_TLS_KEY_FILE: pki.files('oidc').keyFile,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = lineWaiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });

  const ready = JSON.parse(await nextLine()) as { issuerUrl: string; registrationToken: string };
  expect(ready.registrationToken).toBe(REGISTRATION_TOKEN);
  issuerUrl = ready.issuerUrl;
  discovery = (await (await fetch(`${issuerUrl}/.well-known/openid-configuration`)).json()) as Discovery;
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  }
});

describe('dev issuer (child process)', () => {
  it('publishes a discovery document for client_credentials and browser sign-in', () => {
    expect(discovery.issuer).toBe(issuerUrl);
    expect(issuerUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(discovery.jwks_uri).toBe(`${issuerUrl}/jwks`);
    expect(discovery.token_endpoint).toBe(`${issuerUrl}/token`);
    expect(discovery.registration_endpoint).toBe(`${issuerUrl}/reg`);
    expect([...discovery.grant_types_supported].sort()).toEqual(['authorization_code', 'client_credentials', 'refresh_token']);
    expect(discovery.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_post', 'client_secret_basic']),
    );
  });

  it('issues ES256 JWT access tokens to preconfigured clients that verify against the JWKS', async () => {
    const token = await fetchClientCredentialsToken(issuerUrl, 'acme-admin', 'acme-admin-secret');
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });

    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((key) => key.kid)).toEqual([header.kid]);
    expect(jwks.keys[0]).not.toHaveProperty('d');

    const claims = await verify(token);
    expect(claims).toMatchObject({ iss: issuerUrl, aud: AUDIENCE, sub: 'acme-admin', tenant: 'acme', roles: ['admin', 'analyst'] });
    expect(claims.exp! - claims.iat!).toBe(3600);

    const platformClaims = await verify(await fetchClientCredentialsToken(issuerUrl, 'platform-ops', 'platform-ops-secret'));
    expect(platformClaims).toMatchObject({ sub: 'platform-ops', roles: ['platform-operator'] });
    expect(platformClaims).not.toHaveProperty('tenant');
  });

  it('signs a user in with the authorization code flow and PKCE, and renews with the refresh token', async () => {
    const redirectUri = 'https://localhost:5999/callback';
    const clientId = await registerBrowserClient(redirectUri);
    const { code, cookies } = await signIn(clientId, redirectUri, 'acme-admin', 'acme-admin-secret');
    const tokens = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: codeVerifier });
    expect(tokens.status).toBe(200);
    const claims = await verify(tokens.body.access_token as string);
    // The user's claims, never the browser client's; short-lived so the console renews.
    expect(claims).toMatchObject({ iss: issuerUrl, aud: AUDIENCE, sub: 'acme-admin', tenant: 'acme', roles: ['admin', 'analyst'] });
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(typeof tokens.body.refresh_token).toBe('string');

    const renewed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string, client_id: clientId });
    expect(renewed.status).toBe(200);
    expect(await verify(renewed.body.access_token as string)).toMatchObject({ sub: 'acme-admin', tenant: 'acme' });
    expect(cookies.size).toBeGreaterThan(0);

    // A code is single-use, and PKCE is required: a wrong verifier gets nothing.
    const again = await signIn(clientId, redirectUri, 'platform-ops', 'platform-ops-secret');
    const wrongVerifier = await tokenRequest({ grant_type: 'authorization_code', code: again.code, redirect_uri: redirectUri, client_id: clientId, code_verifier: 'x'.repeat(43) });
    expect(wrongVerifier.status).toBe(400);
    expect(wrongVerifier.body.error).toBe('invalid_grant');
  });

  it('signs out at once only for a request with an ID token it signed; any other sign-out asks for a click', async () => {
    const redirectUri = 'https://localhost:5996/callback';
    const clientId = await registerBrowserClient(redirectUri);
    const { code, cookies } = await signIn(clientId, redirectUri, 'acme-admin', 'acme-admin-secret');
    const tokens = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: codeVerifier });
    const idToken = tokens.body.id_token as string;
    expect(typeof idToken).toBe('string');
    const endSession = async (params: Record<string, string>) => {
      const url = new URL(discovery.end_session_endpoint!);
      url.search = new URLSearchParams(params).toString();
      const response = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') } });
      return { status: response.status, body: await response.text() };
    };
    // A link from anywhere (no hint): a question and a button, nothing that submits by itself.
    const bare = await endSession({});
    expect(bare.status).toBe(200);
    expect(bare.body).toContain('Sign out of the Tessera dev issuer?');
    expect(bare.body).toContain('id="op.logoutForm"');
    expect(bare.body).not.toContain('<script');
    expect((await endSession({ client_id: clientId })).body).not.toContain('<script');
    // A forged or foreign hint is refused by the issuer before any page.
    expect((await endSession({ id_token_hint: `${idToken.slice(0, -4)}AAAA` })).status).toBe(400);
    // The application's own sign-out (its ID token as the hint) completes without a click.
    const own = await endSession({ id_token_hint: idToken });
    expect(own.status).toBe(200);
    expect(own.body).toContain('f.submit()');
  });

  it('signs users in to a preconfigured browser client, and only to its redirect URI', async () => {
    const { code } = await signIn('console', 'https://localhost:5997/callback', 'platform-ops', 'platform-ops-secret');
    const tokens = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: 'https://localhost:5997/callback', client_id: 'console', code_verifier: codeVerifier });
    expect(await verify(tokens.body.access_token as string)).toMatchObject({ sub: 'platform-ops', roles: ['platform-operator'] });
    const elsewhere = new URL('/auth', issuerUrl);
    elsewhere.search = new URLSearchParams({ client_id: 'console', redirect_uri: 'https://evil.example/callback', response_type: 'code', scope: 'openid', code_challenge: codeChallenge, code_challenge_method: 'S256' }).toString();
    const refused = await fetch(elsewhere, { redirect: 'manual' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('redirect_uri');
  });

  it('refuses a wrong password, and a browser client as a user, on the sign-in page', async () => {
    const redirectUri = 'https://localhost:5998/callback';
    const clientId = await registerBrowserClient(redirectUri);
    await expect(signIn(clientId, redirectUri, 'acme-admin', 'wrong')).rejects.toThrow(/HTTP 401/);
    await expect(signIn(clientId, redirectUri, clientId, 'anything')).rejects.toThrow(/HTTP 401/);
  });

  it('rejects a wrong client secret', async () => {
    await expect(fetchClientCredentialsToken(issuerUrl, 'acme-admin', 'wrong')).rejects.toThrow(/HTTP 401.*invalid_client/);
  });

  it('registers clients dynamically with the initial access token, and only with it', async () => {
    const { clientId, clientSecret } = await registerClient(issuerUrl, REGISTRATION_TOKEN, {
      tenant: 'globex',
      roles: ['analyst'],
    });
    const claims = await verify(await fetchClientCredentialsToken(issuerUrl, clientId, clientSecret));
    expect(claims).toMatchObject({ sub: clientId, tenant: 'globex', roles: ['analyst'] });

    const body = JSON.stringify({ grant_types: ['client_credentials'], response_types: [], roles: ['admin'] });
    const headers = { 'content-type': 'application/json' };
    const anonymous = await fetch(discovery.registration_endpoint, { method: 'POST', headers, body });
    expect(anonymous.status).toBe(401);
    const wrongToken = await fetch(discovery.registration_endpoint, {
      method: 'POST',
      headers: { ...headers, authorization: 'Bearer not-the-token' },
      body,
    });
    expect(wrongToken.status).toBe(401);
    await expect(registerClient(issuerUrl, 'not-the-token', { roles: ['admin'] })).rejects.toThrow(/HTTP 401/);

    await expect(registerClient(issuerUrl, REGISTRATION_TOKEN, { roles: 'admin' as unknown as string[] })).rejects.toThrow(
      /HTTP 400.*invalid_client_metadata/,
    );
  });

  it('uses the requested resource indicator as the audience', async () => {
    const token = await fetchClientCredentialsToken(issuerUrl, 'acme-admin', 'acme-admin-secret', 'https://other.example');
    expect(await verify(token, 'https://other.example')).toMatchObject({ aud: 'https://other.example', sub: 'acme-admin' });
    await expect(verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });

    await expect(fetchClientCredentialsToken(issuerUrl, 'acme-admin', 'acme-admin-secret', 'urn:not-a-url')).rejects.toThrow(
      /HTTP 400.*invalid_target/,
    );
  });

  it('honours a per-client token lifetime (registered clients too)', async () => {
    const token = await fetchClientCredentialsToken(issuerUrl, 'short-lived', 'short-lived-secret');
    const registered = await registerClient(issuerUrl, REGISTRATION_TOKEN, { roles: ['viewer'], tokenTtlSeconds: 1 });
    const registeredToken = await fetchClientCredentialsToken(issuerUrl, registered.clientId, registered.clientSecret);
    for (const issued of [token, registeredToken]) {
      const { exp, iat } = decodeJwt(issued);
      expect(exp! - iat!).toBe(1);
    }

    await sleep(2_000);
    await expect(verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
    await expect(verify(registeredToken)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });

  it('rotates the signing key on SIGUSR2 while still publishing the old key', async () => {
    const { clientId, clientSecret } = await registerClient(issuerUrl, REGISTRATION_TOKEN, { tenant: 'acme', roles: ['admin'] });
    const oldToken = await fetchClientCredentialsToken(issuerUrl, 'acme-admin', 'acme-admin-secret');
    const oldKid = decodeProtectedHeader(oldToken).kid;

    child.kill('SIGUSR2');
    const { rotated } = JSON.parse(await nextLine()) as { rotated: string };
    expect(typeof rotated).toBe('string');
    expect(rotated).not.toBe(oldKid);

    const newToken = await fetchClientCredentialsToken(issuerUrl, 'acme-admin', 'acme-admin-secret');
    expect(decodeProtectedHeader(newToken).kid).toBe(rotated);

    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((key) => key.kid)).toEqual([rotated, oldKid]);

    await expect(verify(oldToken)).resolves.toMatchObject({ sub: 'acme-admin' });
    await expect(verify(newToken)).resolves.toMatchObject({ sub: 'acme-admin' });

    // A client registered before the rotation survives it.
    const afterRotation = await fetchClientCredentialsToken(issuerUrl, clientId, clientSecret);
    expect(decodeProtectedHeader(afterRotation).kid).toBe(rotated);
    await expect(verify(afterRotation)).resolves.toMatchObject({ sub: clientId, tenant: 'acme' });
  });

  it('exits cleanly on SIGTERM', async () => {
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((done) =>
      child.once('exit', (code, signal) => done([code, signal])),
    );
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(lines).toEqual([]);
  });
});
