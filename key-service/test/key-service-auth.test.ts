/**
 * The key provider client's Vault logins against the local key service over mutual TLS: AppRole
 * (role_id + secret_id) and Kubernetes (role + service-account JWT), tokens that expire, are
 * renewed before they do and replaced at the role's max TTL, re-login after a revocation, and every
 * refusal: a wrong secret, another service's certificate, a forged or expired JWT, no token.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalPki, type LocalPki } from '@tessera/local-infra';
import { isKeyProviderError, VaultTransitKeyProvider, type KeyProviderErrorCode, type VaultAuthOptions } from '@tessera/key-provider';
import { startKeyServiceProcess, type RunningKeyServiceProcess } from '@tessera/key-service';

let pki: LocalPki;
let directory: string;
let service: RunningKeyServiceProcess;
let clusterKey: KeyObject;
let otherClusterKey: KeyObject;
const providers: VaultTransitKeyProvider[] = [];
const roles = {
  // Short leases, so expiry, renewal and the max TTL happen within the test.
  datasets: { roleId: `role-datasets-${randomBytes(8).toString('hex')}`, secretId: randomBytes(24).toString('base64url') },
  tenants: { roleId: `role-tenants-${randomBytes(8).toString('hex')}`, secretId: randomBytes(24).toString('base64url') },
};
const issuer = 'https://kubernetes.default.svc.cluster.local';

function providerAs(client: string, auth: VaultAuthOptions | undefined): VaultTransitKeyProvider {
  const identity = pki.identity(client);
  const provider = new VaultTransitKeyProvider({ url: service.url, keyName: 'tessera', ca: pki.ca, clientIdentity: { cert: identity.cert, key: identity.key }, timeoutMs: 5_000, ...(auth ? { auth } : {}) });
  providers.push(provider);
  return provider;
}

const approle = (role: keyof typeof roles, secretId = roles[role].secretId): VaultAuthOptions => ({ method: 'approle', roleId: roles[role].roleId, secretId });

/** A raw call to the key service as `client` (its certificate), with an optional token. */
async function raw(client: string, method: 'GET' | 'POST', path: string, body?: Record<string, unknown>, token?: string): Promise<{ status: number; body: Record<string, any> }> {
  const identity = pki.identity(client);
  const payload = body ? Buffer.from(JSON.stringify(body)) : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, service.url),
      { method, ca: pki.ca, cert: identity.cert, key: identity.key, headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...(token ? { 'x-vault-token': token } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, any>) : {} });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function serviceAccountJwt(claims: { namespace?: string; name?: string; expiresIn?: number; audience?: string; key?: KeyObject; kid?: string }): string {
  const header = { alg: 'ES256', kid: claims.kid ?? 'cluster-1', typ: 'JWT' };
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: issuer, aud: [claims.audience ?? 'tessera-keys'], sub: `system:serviceaccount:${claims.namespace ?? 'tessera'}:${claims.name ?? 'models'}`, iat: now, nbf: now, exp: now + (claims.expiresIn ?? 600) };
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const data = `${encode(header)}.${encode(payload)}`;
  return `${data}.${sign('sha256', Buffer.from(data), { key: claims.key ?? clusterKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function jwtFile(jwt: string): string {
  const path = join(directory, `jwt-${randomBytes(4).toString('hex')}`);
  writeFileSync(path, `${jwt}\n`, { mode: 0o600 });
  return path;
}

async function expectCode(promise: Promise<unknown>, code: KeyProviderErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isKeyProviderError(error) ? error.code : error).toBe(code);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');

beforeAll(async () => {
  pki = ensureLocalPki();
  directory = mkdtempSync(join(tmpdir(), 'tessera-keys-auth-'));
  const cluster = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  clusterKey = cluster.privateKey;
  otherClusterKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  writeFileSync(join(directory, 'jwks.json'), JSON.stringify({ keys: [{ ...cluster.publicKey.export({ format: 'jwk' }), kid: 'cluster-1', use: 'sig', alg: 'ES256' }] }));
  writeFileSync(
    join(directory, 'auth.json'),
    JSON.stringify({
      requireToken: true,
      approle: [
        { role: 'datasets', roleId: roles.datasets.roleId, secretIdSha256: [digest(roles.datasets.secretId)], client: 'datasets', tokenTtlSeconds: 3, tokenMaxTtlSeconds: 7 },
        { role: 'tenants', roleId: roles.tenants.roleId, secretIdSha256: [digest(roles.tenants.secretId)], client: 'tenants', tokenTtlSeconds: 600, tokenMaxTtlSeconds: 3600 },
      ],
      kubernetes: { jwksFile: join(directory, 'jwks.json'), issuer, audiences: ['tessera-keys'], roles: [{ role: 'models', serviceAccountNames: ['models'], namespaces: ['tessera'], client: 'models', tokenTtlSeconds: 600, tokenMaxTtlSeconds: 3600 }] },
    }),
  );
  service = await startKeyServiceProcess({ stateDirectory: join(directory, 'keys'), tls: { caFile: pki.caFile, ...pki.files('keys') }, keys: ['tessera'], authFile: join(directory, 'auth.json') });
}, 60_000);

afterAll(async () => {
  for (const provider of providers) provider.close();
  await service?.stop();
  rmSync(directory, { recursive: true, force: true });
});

describe('AppRole', () => {
  it('logs in (Vault\'s response shape), then wraps and unwraps with the token; without a token the service refuses', async () => {
    const login = await raw('datasets', 'POST', '/v1/auth/approle/login', { role_id: roles.datasets.roleId, secret_id: roles.datasets.secretId });
    expect(login.status).toBe(200);
    expect(login.body['auth']).toMatchObject({ client_token: expect.stringMatching(/^hvs\./), accessor: expect.any(String), lease_duration: 3, renewable: true, token_type: 'service', metadata: { role_name: 'datasets' } });
    const provider = providerAs('datasets', approle('datasets'));
    const key = randomBytes(32);
    const wrapped = await provider.wrap(key, 'tenant:acme:dek:v1');
    expect((await provider.unwrap(wrapped, 'tenant:acme:dek:v1')).equals(key)).toBe(true);
    expect(provider.authState()).toMatchObject({ method: 'approle', logins: 1, renewals: 0, accessor: expect.any(String) });
    // The certificate alone is not enough once tokens are required.
    await expectCode(providerAs('datasets', undefined).wrap(key, 'tenant:acme:dek:v1'), 'KEY_PROVIDER_DENIED');
    // Nor a token issued to another service's certificate.
    const tenantsLogin = await raw('tenants', 'POST', '/v1/auth/approle/login', { role_id: roles.tenants.roleId, secret_id: roles.tenants.secretId });
    expect((await raw('datasets', 'POST', '/v1/transit/encrypt/tessera', { plaintext: key.toString('base64'), context: Buffer.from('x').toString('base64') }, tenantsLogin.body['auth'].client_token)).status).toBe(403);
  });

  it('refuses a wrong secret, an unknown role and another service\'s certificate with the same answer', async () => {
    await expectCode(providerAs('datasets', approle('datasets', 'not-the-secret')).wrap(randomBytes(32), 'c'), 'KEY_PROVIDER_DENIED');
    await expectCode(providerAs('datasets', { method: 'approle', roleId: 'no-such-role-0000', secretId: roles.datasets.secretId }).wrap(randomBytes(32), 'c'), 'KEY_PROVIDER_DENIED');
    // datasets' role and secret over the models certificate.
    await expectCode(providerAs('models', approle('datasets')).wrap(randomBytes(32), 'c'), 'KEY_PROVIDER_DENIED');
    const answers = await Promise.all([
      raw('datasets', 'POST', '/v1/auth/approle/login', { role_id: roles.datasets.roleId, secret_id: 'wrong' }),
      raw('datasets', 'POST', '/v1/auth/approle/login', { role_id: 'unknown-role-id-000', secret_id: roles.datasets.secretId }),
      raw('models', 'POST', '/v1/auth/approle/login', { role_id: roles.datasets.roleId, secret_id: roles.datasets.secretId }),
    ]);
    for (const answer of answers) expect(answer).toEqual({ status: 400, body: { errors: ['invalid role or secret ID'] } });
    // A secret_id given by file (a mounted secret) logs in too.
    const file = jwtFile(roles.datasets.secretId);
    await expect(providerAs('datasets', { method: 'approle', roleId: roles.datasets.roleId, secretIdFile: file }).wrap(randomBytes(32), 'c')).resolves.toMatch(/^vault:v1:/);
  });

  it('a token expires at its TTL on the server; the client renews before that, and logs in again at the max TTL', async () => {
    // The server side: a token left alone stops working at its TTL (3 s).
    const login = await raw('datasets', 'POST', '/v1/auth/approle/login', { role_id: roles.datasets.roleId, secret_id: roles.datasets.secretId });
    const token = login.body['auth'].client_token as string;
    expect((await raw('datasets', 'GET', '/v1/auth/token/lookup-self', undefined, token)).body['data']).toMatchObject({ ttl: expect.any(Number), renewable: true, path: 'auth/approle/login' });
    const renewed = await raw('datasets', 'POST', '/v1/auth/token/renew-self', { increment: '1s' }, token);
    expect(renewed.body['auth']).toMatchObject({ client_token: token, lease_duration: 1 });
    await sleep(1_300);
    expect((await raw('datasets', 'GET', '/v1/auth/token/lookup-self', undefined, token)).status).toBe(403);

    // The client: in use every 0.5 s for 9 s, past the 7 s max TTL. Every call succeeds.
    const provider = providerAs('datasets', approle('datasets'));
    const key = randomBytes(32);
    const wrapped = await provider.wrap(key, 'ctx');
    const firstExpiry = provider.authState().expiresAt!.getTime();
    let extended = false;
    for (let elapsed = 0; elapsed < 9_000; elapsed += 500) {
      await sleep(500);
      expect((await provider.unwrap(wrapped, 'ctx')).equals(key)).toBe(true);
      if (provider.authState().expiresAt!.getTime() > firstExpiry && provider.authState().logins === 1) extended = true;
    }
    const state = provider.authState();
    expect(extended).toBe(true);
    expect(state.renewals).toBeGreaterThanOrEqual(2);
    expect(state.logins).toBeGreaterThanOrEqual(2);

    // Idle past the TTL: the next call logs in again (no renewal of a dead token), and succeeds.
    const before = provider.authState().logins;
    await sleep(3_200);
    expect((await provider.unwrap(wrapped, 'ctx')).equals(key)).toBe(true);
    expect(provider.authState().logins).toBe(before + 1);
  }, 30_000);

  it('after its token is revoked the client logs in again and the call succeeds; only a key administrator revokes another\'s token', async () => {
    const provider = providerAs('datasets', approle('datasets'));
    const wrapped = await provider.wrap(randomBytes(32), 'ctx');
    const { accessor, logins } = provider.authState();
    const admin = (await raw('tenants', 'POST', '/v1/auth/approle/login', { role_id: roles.tenants.roleId, secret_id: roles.tenants.secretId })).body['auth'].client_token as string;
    // datasets (not a key administrator) cannot revoke a token by accessor, not even its own.
    const own = (await raw('datasets', 'POST', '/v1/auth/approle/login', { role_id: roles.datasets.roleId, secret_id: roles.datasets.secretId })).body['auth'].client_token as string;
    expect((await raw('datasets', 'POST', '/v1/auth/token/revoke-accessor', { accessor }, own)).status).toBe(403);
    expect((await raw('tenants', 'POST', '/v1/auth/token/revoke-accessor', { accessor }, admin)).status).toBe(204);
    await expect(provider.unwrap(wrapped, 'ctx')).resolves.toHaveLength(32);
    expect(provider.authState().logins).toBe(logins + 1);
    expect(provider.authState().accessor).not.toBe(accessor);
    // revoke-self ends a token for good.
    expect((await raw('datasets', 'POST', '/v1/auth/token/revoke-self', {}, own)).status).toBe(204);
    expect((await raw('datasets', 'GET', '/v1/auth/token/lookup-self', undefined, own)).status).toBe(403);
  });

  it('admin operations still follow the certificate: the tenants role rotates, datasets with its token cannot', async () => {
    const tenants = providerAs('tenants', approle('tenants'));
    const before = (await tenants.status()).latestVersion;
    expect((await tenants.rotate()).latestVersion).toBe(before + 1);
    await expectCode(providerAs('datasets', approle('datasets')).rotate(), 'KEY_PROVIDER_DENIED');
  });
});

describe('Kubernetes', () => {
  it('logs in with the service-account JWT read from its file, and wraps', async () => {
    const provider = providerAs('models', { method: 'kubernetes', role: 'models', jwtFile: jwtFile(serviceAccountJwt({})) });
    const key = randomBytes(32);
    expect((await provider.unwrap(await provider.wrap(key, 'ctx'), 'ctx')).equals(key)).toBe(true);
    expect(provider.authState()).toMatchObject({ method: 'kubernetes', logins: 1 });
    const login = await raw('models', 'POST', '/v1/auth/kubernetes/login', { role: 'models', jwt: serviceAccountJwt({}) });
    expect(login.body['auth']).toMatchObject({ metadata: { role: 'models', service_account_name: 'models', service_account_namespace: 'tessera' }, lease_duration: 600, renewable: true });
  });

  it('refuses a JWT signed by another key, expired, for another service account, namespace or audience, an unknown role, and another certificate', async () => {
    const refused = [
      serviceAccountJwt({ key: otherClusterKey }),
      serviceAccountJwt({ expiresIn: -60 }),
      serviceAccountJwt({ name: 'datasets' }),
      serviceAccountJwt({ namespace: 'elsewhere' }),
      serviceAccountJwt({ audience: 'someone-else' }),
      serviceAccountJwt({}).replace(/\.[^.]+$/, '.AAAA'),
    ];
    for (const jwt of refused) {
      await expectCode(providerAs('models', { method: 'kubernetes', role: 'models', jwtFile: jwtFile(jwt) }).wrap(randomBytes(32), 'c'), 'KEY_PROVIDER_DENIED');
      expect((await raw('models', 'POST', '/v1/auth/kubernetes/login', { role: 'models', jwt })).status).toBe(403);
    }
    expect((await raw('models', 'POST', '/v1/auth/kubernetes/login', { role: 'nobody', jwt: serviceAccountJwt({}) })).status).toBe(400);
    // The models service account's JWT over the datasets certificate.
    expect((await raw('datasets', 'POST', '/v1/auth/kubernetes/login', { role: 'models', jwt: serviceAccountJwt({}) })).status).toBe(403);
    // A JWT file that is not there: refused before anything is sent.
    await expectCode(providerAs('models', { method: 'kubernetes', role: 'models', jwtFile: join(directory, 'missing') }).wrap(randomBytes(32), 'c'), 'KEY_PROVIDER_DENIED');
  });
});
