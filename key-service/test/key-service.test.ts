/**
 * The key provider client against the local key service, a real process speaking Vault's transit
 * API over mutual TLS: wrap/unwrap, context binding, versions, rotation, retirement, destruction,
 * and who the service refuses.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalPki, type LocalPki } from '@tessera/local-infra';
import { isKeyProviderError, VaultTransitKeyProvider, wrappedKeyVersion, type KeyProviderErrorCode } from '@tessera/key-provider';
import { startKeyServiceProcess, type RunningKeyServiceProcess } from '@tessera/key-service';

let pki: LocalPki;
let otherPki: LocalPki;
let otherPkiDir: string;
let stateDirectory: string;
let service: RunningKeyServiceProcess;
const providers: VaultTransitKeyProvider[] = [];

function providerAs(client: string | undefined, options: { keyName?: string; ca?: string; identityPki?: LocalPki } = {}): VaultTransitKeyProvider {
  const identity = client ? (options.identityPki ?? pki).identity(client) : undefined;
  const provider = new VaultTransitKeyProvider({
    url: service.url,
    keyName: options.keyName ?? 'tessera',
    ca: options.ca ?? pki.ca,
    ...(identity ? { clientIdentity: { cert: identity.cert, key: identity.key } } : {}),
    timeoutMs: 5_000,
  });
  providers.push(provider);
  return provider;
}

async function expectCode(promise: Promise<unknown>, code: KeyProviderErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isKeyProviderError(error) ? error.code : error).toBe(code);
}

beforeAll(async () => {
  pki = ensureLocalPki();
  otherPkiDir = mkdtempSync(join(tmpdir(), 'tessera-keys-other-ca-'));
  otherPki = ensureLocalPki(otherPkiDir);
  stateDirectory = join(mkdtempSync(join(tmpdir(), 'tessera-keys-test-')), 'keys');
  service = await startKeyServiceProcess({ stateDirectory, tls: { caFile: pki.caFile, ...pki.files('keys') }, keys: ['tessera', 'other'] });
}, 60_000);

afterAll(async () => {
  for (const provider of providers) provider.close();
  await service?.stop();
  rmSync(join(stateDirectory, '..'), { recursive: true, force: true });
  rmSync(otherPkiDir, { recursive: true, force: true });
});

describe('wrap and unwrap', () => {
  it('round-trips a data key; the wrap names the KEK version (vault:v1:) and never contains the plaintext', async () => {
    const provider = providerAs('datasets');
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrap(dataKey, 'tenant:acme:dek:v1');
    expect(wrapped).toMatch(/^vault:v1:[A-Za-z0-9+/]+=*$/);
    expect(wrappedKeyVersion(wrapped)).toBe(1);
    expect(wrapped).not.toContain(dataKey.toString('base64'));
    expect((await provider.unwrap(wrapped, 'tenant:acme:dek:v1')).equals(dataKey)).toBe(true);
    // Another admitted service opens what this one wrapped (the key belongs to the platform, not to a service).
    expect((await providerAs('models').unwrap(wrapped, 'tenant:acme:dek:v1')).equals(dataKey)).toBe(true);
  });

  it("binds the wrap to its context: A's wrap does not open with B's context, nor with A's other data-key version", async () => {
    const provider = providerAs('tenants');
    const wrapped = await provider.wrap(randomBytes(32), 'tenant:acme:dek:v1');
    await expectCode(provider.unwrap(wrapped, 'tenant:globex:dek:v1'), 'KEY_UNWRAP_FAILED');
    await expectCode(provider.unwrap(wrapped, 'tenant:acme:dek:v2'), 'KEY_UNWRAP_FAILED');
    await expectCode(provider.rewrap(wrapped, 'tenant:globex:dek:v1'), 'KEY_UNWRAP_FAILED');
  });

  it('refuses a tampered wrap and one made under another key name', async () => {
    const provider = providerAs('tenants');
    const wrapped = await provider.wrap(randomBytes(32), 'tenant:acme:dek:v1');
    const body = Buffer.from(wrapped.split(':')[2]!, 'base64');
    body[20] = body[20]! ^ 1;
    await expectCode(provider.unwrap(`vault:v1:${body.toString('base64')}`, 'tenant:acme:dek:v1'), 'KEY_UNWRAP_FAILED');
    await expectCode(providerAs('tenants', { keyName: 'other' }).unwrap(wrapped, 'tenant:acme:dek:v1'), 'KEY_UNWRAP_FAILED');
  });
});

describe('versions', () => {
  it('rotate: new wraps use the new version at once, older wraps still open, rewrap moves them without changing the key', async () => {
    const admin = providerAs('tenants', { keyName: 'other' });
    const before = await admin.status();
    const dataKey = randomBytes(32);
    const old = await admin.wrap(dataKey, 'tenant:acme:dek:v1');
    expect(wrappedKeyVersion(old)).toBe(before.latestVersion);

    const rotated = await admin.rotate();
    expect(rotated.latestVersion).toBe(before.latestVersion + 1);
    expect(rotated.versions.map((entry) => entry.version)).toEqual([...before.versions.map((entry) => entry.version), rotated.latestVersion]);
    // Another service's very next wrap uses it: the version lives in the provider, not in a cache.
    expect(wrappedKeyVersion(await providerAs('models', { keyName: 'other' }).wrap(randomBytes(32), 'tenant:acme:dek:v9'))).toBe(rotated.latestVersion);
    expect((await admin.unwrap(old, 'tenant:acme:dek:v1')).equals(dataKey)).toBe(true);

    const moved = await admin.rewrap(old, 'tenant:acme:dek:v1');
    expect(wrappedKeyVersion(moved)).toBe(rotated.latestVersion);
    expect((await admin.unwrap(moved, 'tenant:acme:dek:v1')).equals(dataKey)).toBe(true);
  });

  it('min_decryption_version refuses older wraps (KEY_VERSION_RETIRED) and can be lowered again until the version is destroyed', async () => {
    const admin = providerAs('tenants', { keyName: 'other' });
    const dataKey = randomBytes(32);
    const old = await admin.wrap(dataKey, 'tenant:acme:dek:v1');
    const status = await admin.rotate();
    const newer = await admin.wrap(dataKey, 'tenant:acme:dek:v1');

    expect((await admin.setMinDecryptionVersion(status.latestVersion)).minDecryptionVersion).toBe(status.latestVersion);
    await expectCode(admin.unwrap(old, 'tenant:acme:dek:v1'), 'KEY_VERSION_RETIRED');
    await expectCode(admin.rewrap(old, 'tenant:acme:dek:v1'), 'KEY_VERSION_RETIRED');
    expect((await admin.unwrap(newer, 'tenant:acme:dek:v1')).equals(dataKey)).toBe(true);
    // Beyond the latest version: refused by the provider.
    await expectCode(admin.setMinDecryptionVersion(status.latestVersion + 1), 'KEY_PROVIDER_REJECTED');

    // Retired is reversible ...
    await admin.setMinDecryptionVersion(1);
    expect((await admin.unwrap(old, 'tenant:acme:dek:v1')).equals(dataKey)).toBe(true);
    // ... destroyed is not, and only retired versions can be destroyed.
    await expectCode(admin.destroyVersionsBelow(status.latestVersion), 'KEY_PROVIDER_REJECTED');
    await admin.setMinDecryptionVersion(status.latestVersion);
    const trimmed = await admin.destroyVersionsBelow(status.latestVersion);
    expect(trimmed.minAvailableVersion).toBe(status.latestVersion);
    expect(trimmed.versions.map((entry) => entry.version)).toEqual([status.latestVersion]);
    await expectCode(admin.setMinDecryptionVersion(1), 'KEY_PROVIDER_REJECTED');
    await expectCode(admin.unwrap(old, 'tenant:acme:dek:v1'), 'KEY_VERSION_RETIRED');
  });
});

describe('who the key service admits', () => {
  it.each(['datasets', 'models', 'audit', 'tenants'])('admits %s to wrap and unwrap', async (client) => {
    const provider = providerAs(client);
    const dataKey = randomBytes(32);
    expect((await provider.unwrap(await provider.wrap(dataKey, 'tenant:acme:dek:v1'), 'tenant:acme:dek:v1')).equals(dataKey)).toBe(true);
  });

  // The workers too: they get one object's key at a time from its owner, under a job grant.
  it.each(['gateway', 'metrics', 'workers'])('refuses a %s certificate before its first request', async (client) => {
    await expectCode(providerAs(client).wrap(randomBytes(32), 'tenant:acme:dek:v1'), 'KEY_PROVIDER_UNAVAILABLE');
    await expectCode(providerAs(client).status(), 'KEY_PROVIDER_UNAVAILABLE');
  });

  it('refuses a client without a certificate', async () => {
    await expectCode(providerAs(undefined).wrap(randomBytes(32), 'tenant:acme:dek:v1'), 'KEY_PROVIDER_UNAVAILABLE');
  });

  it("refuses a certificate of another CA with a service's name, and a client that trusts another CA", async () => {
    await expectCode(providerAs('tenants', { identityPki: otherPki }).wrap(randomBytes(32), 'tenant:acme:dek:v1'), 'KEY_PROVIDER_UNAVAILABLE');
    await expectCode(providerAs('tenants', { ca: otherPki.ca }).wrap(randomBytes(32), 'tenant:acme:dek:v1'), 'KEY_PROVIDER_UNAVAILABLE');
  });

  it('answers only the tenants service on admin paths (rotate, config, trim, rewrap): 403 for the others', async () => {
    const datasets = providerAs('datasets');
    const wrapped = await datasets.wrap(randomBytes(32), 'tenant:acme:dek:v1');
    await expectCode(datasets.rotate(), 'KEY_PROVIDER_DENIED');
    await expectCode(datasets.setMinDecryptionVersion(1), 'KEY_PROVIDER_DENIED');
    await expectCode(datasets.destroyVersionsBelow(1), 'KEY_PROVIDER_DENIED');
    await expectCode(datasets.rewrap(wrapped, 'tenant:acme:dek:v1'), 'KEY_PROVIDER_DENIED');
    expect((await datasets.status()).latestVersion).toBeGreaterThanOrEqual(1);
  });

  it('serves no plain HTTP', async () => {
    const plain = service.url.replace('https://', 'http://');
    await expect(fetch(`${plain}/v1/sys/health`)).rejects.toThrow();
  });
});

describe('per-tenant keys: created, then destroyed for good', () => {
  it("a tenant's own key wraps like the KEK; after deletion a saved copy of the wrap no longer opens, and only the tenants service may delete", async () => {
    const admin = providerAs('tenants');
    await admin.createKey('tessera-tenant-erase1');
    await admin.createKey('tessera-tenant-erase1'); // idempotent
    expect(await admin.keyExists('tessera-tenant-erase1')).toBe(true);
    const tenantKey = providerAs('datasets', { keyName: 'tessera-tenant-erase1' });
    const dataKey = randomBytes(32);
    const savedWrap = await tenantKey.wrap(dataKey, 'tenant:erase1:dek:v1');
    expect((await tenantKey.unwrap(savedWrap, 'tenant:erase1:dek:v1')).equals(dataKey)).toBe(true);

    await expectCode(providerAs('datasets').deleteKey('tessera-tenant-erase1'), 'KEY_PROVIDER_DENIED');
    expect(await admin.keyExists('tessera-tenant-erase1')).toBe(true);
    await expectCode(admin.deleteKey('tessera'), 'KEY_PROVIDER_REJECTED');

    expect(await admin.deleteKey('tessera-tenant-erase1')).toBe(true);
    expect(await admin.keyExists('tessera-tenant-erase1')).toBe(false);
    expect(await admin.deleteKey('tessera-tenant-erase1')).toBe(false); // a retried erasure succeeds
    await expectCode(tenantKey.unwrap(savedWrap, 'tenant:erase1:dek:v1'), 'KEY_UNWRAP_FAILED');
    // Re-creating the name makes a new key: the saved wrap stays unreadable.
    await admin.createKey('tessera-tenant-erase1');
    await expectCode(tenantKey.unwrap(savedWrap, 'tenant:erase1:dek:v1'), 'KEY_UNWRAP_FAILED');
    expect(await admin.deleteKey('tessera-tenant-erase1')).toBe(true);
    // Other keys are untouched.
    expect((await admin.status()).latestVersion).toBeGreaterThanOrEqual(1);
  });

  it('the key service refuses DELETE on a key not configured deletable (Vault semantics)', async () => {
    const admin = providerAs('tenants');
    await admin.createKey('tessera-tenant-erase2');
    const identity = pki.identity('tenants');
    const status = await new Promise<number>((resolve, reject) => {
      request(`${service.url}/v1/transit/keys/tessera-tenant-erase2`, { method: 'DELETE', ca: pki.ca, cert: identity.cert, key: identity.key }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(400);
    expect(await admin.keyExists('tessera-tenant-erase2')).toBe(true);
    expect(await admin.deleteKey('tessera-tenant-erase2')).toBe(true);
  });
});

describe('key names that are members of every JavaScript object', () => {
  // The state keeps keys by name in a plain object: before, `__proto__`, `constructor` or `toString`
  // resolved to Object.prototype members. A config of `__proto__` set `deletion_allowed` on
  // Object.prototype — every key, the platform KEK included, became deletable without its own
  // config — and encrypt/decrypt/read of such a name crashed the handler (500 "internal error").
  function call(client: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const identity = pki.identity(client);
    return new Promise((resolve, reject) => {
      const req = request(`${service.url}${path}`, { method, ca: pki.ca, cert: identity.cert, key: identity.key, headers: { 'content-type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])('%s is an unknown key for every operation (400), never a 500', async (name) => {
    const context = Buffer.from('tenant:acme:dek:v1').toString('base64');
    const ciphertext = `vault:v1:${randomBytes(48).toString('base64')}`;
    for (const [client, method, path, body] of [
      ['datasets', 'GET', `/v1/transit/keys/${name}`, undefined],
      ['datasets', 'POST', `/v1/transit/encrypt/${name}`, { plaintext: randomBytes(32).toString('base64'), context }],
      ['datasets', 'POST', `/v1/transit/decrypt/${name}`, { ciphertext, context }],
      ['tenants', 'POST', `/v1/transit/rewrap/${name}`, { ciphertext, context }],
      ['tenants', 'POST', `/v1/transit/keys/${name}/rotate`, {}],
      ['tenants', 'POST', `/v1/transit/keys/${name}/config`, { deletion_allowed: true, min_decryption_version: 1 }],
      ['tenants', 'POST', `/v1/transit/keys/${name}/trim`, { min_available_version: 1 }],
    ] as const) {
      const answer = await call(client, method, path, body);
      expect({ path, status: answer.status, text: answer.text }).toEqual({ path, status: 400, text: JSON.stringify({ errors: ['encryption key not found'] }) });
    }
  });

  it('a config of __proto__ makes no other key deletable, and creating such a name is refused', async () => {
    await call('tenants', 'POST', '/v1/transit/keys/__proto__/config', { deletion_allowed: true });
    const admin = providerAs('tenants');
    await admin.createKey('tessera-tenant-proto1');
    // Not configured deletable: refused as before (Vault semantics); the KEK is never deletable (403).
    expect((await call('tenants', 'DELETE', '/v1/transit/keys/tessera-tenant-proto1')).status).toBe(400);
    expect((await call('tenants', 'DELETE', '/v1/transit/keys/tessera')).status).toBe(403);
    expect(await admin.keyExists('tessera-tenant-proto1')).toBe(true);
    expect(JSON.parse((await call('datasets', 'GET', '/v1/transit/keys/tessera')).text).data.deletion_allowed).toBe(false);
    expect((await call('tenants', 'POST', '/v1/transit/keys/__proto__', {})).status).toBe(400);
    expect(await admin.deleteKey('tessera-tenant-proto1')).toBe(true);
  });
});

describe('the platform key-encryption keys (KEY_SERVICE_KEYS)', () => {
  // The documented Vault policy lets the tenants service delete only `tessera-tenant-*` keys; the
  // client refuses to delete the platform KEK, but the key service itself accepted it from any
  // admin certificate: whoever held the tenants service's certificate could configure the KEK
  // deletable and delete it, and with it every tenant's data keys.
  function raw(method: string, path: string, body?: unknown): Promise<number> {
    const identity = pki.identity('tenants');
    return new Promise((resolve, reject) => {
      const req = request(`${service.url}${path}`, { method, ca: pki.ca, cert: identity.cert, key: identity.key, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  it.each(['tessera', 'other'])('%s cannot be made deletable nor deleted, even by the tenants certificate (403); it keeps working', async (name) => {
    const provider = providerAs('tenants', { keyName: name });
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrap(dataKey, 'tenant:acme:dek:v1');
    expect(await raw('POST', `/v1/transit/keys/${name}/config`, { deletion_allowed: true })).toBe(403);
    expect(await raw('DELETE', `/v1/transit/keys/${name}`)).toBe(403);
    expect((await provider.unwrap(wrapped, 'tenant:acme:dek:v1')).equals(dataKey)).toBe(true);
    // Its other settings are still the tenants service's to change (retirement of KEK versions).
    expect(await raw('POST', `/v1/transit/keys/${name}/config`, { deletion_allowed: false })).toBe(200);
  });
});

describe('state', () => {
  it('keeps the key versions in a 0600 file in a 0700 directory; a second process on the same directory is refused', async () => {
    expect(statSync(stateDirectory).mode & 0o777).toBe(0o700);
    const file = join(stateDirectory, 'transit-keys.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { keys: Record<string, unknown> }).keys).sort()).toEqual(['other', 'tessera']);
    await expect(startKeyServiceProcess({ stateDirectory, tls: { caFile: pki.caFile, ...pki.files('keys') } })).rejects.toThrow(/in use by process/);
  });

  it('survives a restart: wraps made before it still open', async () => {
    const provider = providerAs('tenants');
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrap(dataKey, 'tenant:acme:dek:v1');
    await service.stop();
    service = await startKeyServiceProcess({ stateDirectory, tls: { caFile: pki.caFile, ...pki.files('keys') } });
    expect((await providerAs('tenants').unwrap(wrapped, 'tenant:acme:dek:v1')).equals(dataKey)).toBe(true);
  });

  it('answers 400 to a request target that is no path, and stays up', async () => {
    const identity = pki.identity('tenants');
    const statusOf = (path: string) =>
      new Promise<number>((resolve, reject) => {
        request({ host: new URL(service.url).hostname, port: Number(new URL(service.url).port), path, servername: 'localhost', ca: pki.ca, cert: identity.cert, key: identity.key }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    expect(await statusOf('//')).toBe(400);
    expect(await statusOf('//host:99999/v1/sys/health')).toBe(400);
    expect(await statusOf('/v1/sys/health')).toBe(200);
  });

  it('answers the health path for container checks', async () => {
    const identity = pki.identity('tenants');
    const status = await new Promise<number>((resolve, reject) => {
      request(`${service.url}/v1/sys/health`, { ca: pki.ca, cert: identity.cert, key: identity.key }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
  });
});
