// The serving contract any deployment must keep (README, Web console), on the server npm start uses.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConsoleEnvironment, startConsoleServer, type RunningConsoleServer } from '../server';

const root = mkdtempSync(join(tmpdir(), 'console-dist-'));
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), '<!doctype html><title>console</title>');
writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
writeFileSync(join(tmpdir(), 'console-secret.txt'), 'outside');
const config = { issuerUrl: 'https://issuer.example:8443/realms/tessera', clientId: 'tessera-console', audience: 'https://api.example', graphqlUrl: 'https://api.example/graphql' };
let server: RunningConsoleServer;

beforeAll(async () => {
  server = await startConsoleServer({ root, config: () => config });
});

afterAll(async () => {
  await server.stop();
});

describe('console static server', () => {
  it('serves /config.json from its settings, never cached', async () => {
    const response = await fetch(`${server.url}/config.json`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual(config);
  });

  it('answers index.html for app routes, and immutable hashed assets', async () => {
    const page = await fetch(`${server.url}/datasets/0399e112-edba`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('<title>console</title>');
    const asset = await fetch(`${server.url}/assets/index-abc.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
  });

  it('keeps index.html revalidated when the built files sit under a folder named assets', async () => {
    const nested = join(mkdtempSync(join(tmpdir(), 'console-deploy-')), 'assets', 'dist');
    mkdirSync(join(nested, 'assets'), { recursive: true });
    writeFileSync(join(nested, 'index.html'), '<!doctype html><title>nested</title>');
    writeFileSync(join(nested, 'assets', 'index-def.js'), 'console.log(2)');
    const deployed = await startConsoleServer({ root: nested, config: () => config });
    try {
      for (const path of ['/', '/index.html', '/datasets']) {
        const page = await fetch(`${deployed.url}${path}`);
        expect(await page.text()).toContain('<title>nested</title>');
        expect(page.headers.get('cache-control')).toBe('no-cache');
      }
      expect((await fetch(`${deployed.url}/assets/index-def.js`)).headers.get('cache-control')).toContain('immutable');
    } finally {
      await deployed.stop();
    }
  });

  it('confines the page to itself, the issuer and the gateway', async () => {
    const response = await fetch(`${server.url}/`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self';");
    expect(csp).not.toContain('unsafe-');
    expect(csp).toContain("connect-src 'self' https://issuer.example:8443 https://api.example wss://api.example");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves nothing outside its directory and only reads', async () => {
    const escaped = await fetch(`${server.url}/..%2fconsole-secret.txt`);
    expect(await escaped.text()).not.toContain('outside');
    expect((await fetch(`${server.url}/config.json`, { method: 'POST' })).status).toBe(405);
  });

  it('answers 400 to a request target that is no path, and goes on serving', async () => {
    const statusOf = (target: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(server.url).port), new URL(server.url).hostname);
        let reply = '';
        socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
        socket.on('end', () => resolve(reply.split('\r\n')[0]!));
        socket.on('error', reject);
        socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      });
    expect(await statusOf('//')).toBe('HTTP/1.1 400 Bad Request');
    expect(await statusOf('/%E0%A4%A')).toBe('HTTP/1.1 400 Bad Request');
    expect((await fetch(`${server.url}/config.json`)).status).toBe(200);
  });

  it('answers 503 with Retry-After while its settings are not known yet (the launcher still starting), then serves', async () => {
    let ready = false;
    const starting = await startConsoleServer({
      root,
      config: () => {
        if (!ready) throw new Error('the console is starting');
        return config;
      },
    });
    try {
      const early = await fetch(`${starting.url}/`);
      expect({ status: early.status, retryAfter: early.headers.get('retry-after'), frame: early.headers.get('x-frame-options') }).toEqual({ status: 503, retryAfter: '2', frame: 'DENY' });
      expect((await fetch(`${starting.url}/config.json`)).status).toBe(503);
      ready = true;
      expect((await fetch(`${starting.url}/`)).status).toBe(200);
    } finally {
      await starting.stop();
    }
  });

  it('isolates its window from others (COOP) and, over TLS only, asks the browser to keep to HTTPS (HSTS)', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('reads its deployment settings from the environment, naming what is missing', () => {
    expect(() => readConsoleEnvironment({})).toThrow(/CONSOLE_ISSUER_URL[\s\S]*CONSOLE_GRAPHQL_URL/);
    const env = readConsoleEnvironment({ CONSOLE_ISSUER_URL: config.issuerUrl, CONSOLE_CLIENT_ID: 'tessera-web', CONSOLE_AUDIENCE: 'tessera-api', CONSOLE_GRAPHQL_URL: config.graphqlUrl, CONSOLE_ROLES_CLAIM: 'realm_access.roles' });
    expect(env).toMatchObject({ port: 4300, tls: undefined, config: { clientId: 'tessera-web', rolesClaim: 'realm_access.roles', tenantClaim: 'tenant' } });
    expect(() => readConsoleEnvironment({ ...process.env, CONSOLE_ISSUER_URL: config.issuerUrl, CONSOLE_CLIENT_ID: 'c', CONSOLE_AUDIENCE: 'a', CONSOLE_GRAPHQL_URL: config.graphqlUrl, CONSOLE_TLS_CERT_FILE: '/x.pem' })).toThrow(/set both/);
  });
});
