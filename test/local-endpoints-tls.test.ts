import { mkdtempSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import { createAccessTokenVerifier, type AccessTokenVerifierOptions } from '@tessera/auth';
import { ConfigError, objectStoreVariables, parseEnvironment, toObjectStoreConfig } from '@tessera/config';
import { ensureLocalPki, type LocalPki } from '@tessera/local-infra';
import { assumeRole, objectStoreConnection, objectStoreTransport } from '@tessera/storage';
import { startTestStack, testAudience, type TestStack } from '@tessera/testing';
import { workerProcessEnvironment } from '@tessera/workers';

/**
 * The object store and the OpenID provider the harness (and `npm start`) run locally speak HTTPS
 * only, with certificates of the local CA: plain HTTP gets no answer, a client trusting another CA
 * refuses them, and every client the platform builds (minio, STS, the gateway's discovery and JWKS
 * fetch) trusts exactly the CA it is configured with. Each refusal has a control beside it that
 * differs only in the property under test.
 */
let stack: TestStack;
let otherPki: LocalPki;
let otherPkiDir: string;

beforeAll(async () => {
  stack = await startTestStack();
  // A second, unrelated CA (its own ca.pem and leaves): what a spoofing server would present.
  otherPkiDir = mkdtempSync(join(tmpdir(), 'tessera-other-ca-'));
  otherPki = ensureLocalPki(otherPkiDir);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (otherPkiDir) rmSync(otherPkiDir, { recursive: true, force: true });
});

/** A GET that resolves with the status, or rejects with the socket/TLS error. */
function get(url: string, options: { ca?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const onResponse = (response: import('node:http').IncomingMessage) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    };
    const request = url.startsWith('https:') ? httpsGet(url, { ...options, agent: false, timeout: 5_000 }, onResponse) : httpGet(url, { timeout: 5_000 }, onResponse);
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

const plaintext = (url: string) => url.replace(/^https:/, 'http:');

describe('the object store the harness starts', () => {
  const client = (caFile: string) => {
    const { endpoint, accessKey, secretKey } = stack.config.objectStore;
    return new Client({ ...objectStoreConnection(endpoint), ...objectStoreTransport({ endpoint, tlsCaFile: caFile }), accessKey, secretKey });
  };

  it('is an https:// endpoint, and the platform is configured with the local CA for it', () => {
    expect(stack.config.objectStore.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.config.objectStore.tlsCaFile).toBe(stack.pki.caFile);
  });

  it('gives plain HTTP no answer', async () => {
    await expect(get(plaintext(stack.config.objectStore.endpoint))).rejects.toThrow(/socket hang up|ECONNRESET|Parse Error/i);
  });

  it('is refused by a minio client that trusts another CA; the same client with the local CA is served', async () => {
    await expect(client(otherPki.caFile).listBuckets()).rejects.toThrow(/certificate/i);
    await expect(client(stack.pki.caFile).listBuckets()).resolves.toEqual(expect.any(Array));
  });

  it('is refused by the STS client when its CA is another one; with the local CA the store answers', async () => {
    const request = {
      endpoint: stack.config.objectStore.endpoint,
      region: 'us-east-1',
      baseCredentials: { accessKey: stack.config.objectStore.accessKey, secretKey: stack.config.objectStore.secretKey },
      roleSessionName: 'tls-check',
      policy: '{}',
      durationSeconds: 900,
    };
    await expect(assumeRole({ ...request, tlsCa: otherPki.ca })).rejects.toMatchObject({ status: undefined, message: expect.stringMatching(/certificate/i) });
    // s3rver has no STS: it answers, over TLS, with an S3 error (an HTTP status proves the handshake passed).
    await expect(assumeRole({ ...request, tlsCa: stack.pki.ca })).rejects.toMatchObject({ status: expect.any(Number) });
  });

  it('serves a platform request (a tenant bucket is created over TLS)', async () => {
    const tenant = await stack.createTenant();
    await expect(stack.platform.runtime.objectStore.bucketExists(tenant.bucket)).resolves.toBe(true);
  });
});

describe('the OpenID provider the harness starts', () => {
  const discovery = () => `${stack.issuer.issuerUrl}/.well-known/openid-configuration`;
  const verifierOptions = (tlsCa: string): AccessTokenVerifierOptions => ({
    ...stack.config.oidc,
    tlsCa,
    verifiedTokenCacheMs: 0,
  });

  it('is an https:// issuer, and the gateway is configured with the local CA for it', () => {
    expect(stack.issuer.issuerUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.config.oidc.tlsCa).toBe(stack.pki.ca);
  });

  it('gives plain HTTP no answer', async () => {
    await expect(get(plaintext(discovery()))).rejects.toThrow(/socket hang up|ECONNRESET|Parse Error/i);
  });

  it('is refused by a client that trusts another CA; the same request with the local CA is served', async () => {
    await expect(get(discovery(), { ca: otherPki.ca })).rejects.toThrow(/certificate/i);
    await expect(get(discovery(), { ca: stack.pki.ca })).resolves.toBe(200);
  });

  it('cannot vouch for tokens at a verifier trusting another CA (SERVICE_UNAVAILABLE); with the local CA the token verifies', async () => {
    const token = await stack.issueToken({ roles: ['viewer'] });
    await expect(createAccessTokenVerifier(verifierOptions(otherPki.ca))(token)).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    await expect(createAccessTokenVerifier(verifierOptions(stack.pki.ca))(token)).resolves.toMatchObject({ roles: ['viewer'] });
  });

  it('issues the tokens the gateway accepts, over HTTPS end to end', async () => {
    const tenant = await stack.createTenant();
    const answer = await stack.query(await tenant.token('viewer'), '{ currentTenant { id } }');
    expect(answer.errors).toBeUndefined();
    expect(stack.config.oidc.audience).toBe(testAudience);
  });
});

describe('OBJECT_STORE_TLS_CA_FILE', () => {
  const base = { S3_ACCESS_KEY: 'tessera-service', S3_SECRET_KEY: 'a-long-secret' };
  const parse = (env: Record<string, string>) => toObjectStoreConfig(parseEnvironment(objectStoreVariables, { ...base, ...env }));

  it('is kept as a path (child processes get the same file) with an https:// endpoint', () => {
    expect(parse({ S3_ENDPOINT: 'https://minio:9000', OBJECT_STORE_TLS_CA_FILE: stack.pki.caFile }).tlsCaFile).toBe(stack.pki.caFile);
    expect(parse({ S3_ENDPOINT: 'https://minio:9000' }).tlsCaFile).toBeUndefined();
  });

  it('is a configuration error with an http:// endpoint (the link would silently be plaintext), or an unreadable file', () => {
    expect(() => parse({ S3_ENDPOINT: 'http://minio:9000', OBJECT_STORE_TLS_CA_FILE: stack.pki.caFile })).toThrow(ConfigError);
    expect(() => parse({ S3_ENDPOINT: 'https://minio:9000', OBJECT_STORE_CREDENTIALS: 'sts', OBJECT_STORE_STS_ENDPOINT: 'http://sts:9000', OBJECT_STORE_TLS_CA_FILE: stack.pki.caFile })).toThrow(/OBJECT_STORE_TLS_CA_FILE.*http:\/\/sts:9000/);
    expect(() => parse({ S3_ENDPOINT: 'https://minio:9000', OBJECT_STORE_TLS_CA_FILE: join(otherPkiDir, 'missing.pem') })).toThrow(/OBJECT_STORE_TLS_CA_FILE: cannot read/);
    expect(() => parse({ S3_ENDPOINT: 'https://minio:9000', OBJECT_STORE_TLS_CA_FILE: otherPki.files('s3').keyFile })).toThrow(/holds no PEM certificate/);
  });

  it('is not given to the worker processes: they hold no object-store settings and fetch presigned URLs trusting the platform CA', () => {
    const env = workerProcessEnvironment({
      database: { ...stack.config.database, tlsCa: undefined },
      redis: stack.config.redis,
      ports: { serviceKey: stack.workerServiceKey, jobsUrl: 'https://jobs:4003', datasetsUrl: 'https://datasets:4001', modelsUrl: 'https://models:4002' },
      tls: { caFile: stack.pki.caFile, ...stack.pki.files('workers') },
    });
    expect(Object.keys(env).filter((name) => /^(S3_|OBJECT_STORE_|MASTER_KEY)/.test(name))).toEqual([]);
    expect(env['TLS_CA_FILE']).toBe(stack.pki.caFile);
  });
});
