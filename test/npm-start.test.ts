/**
 * `npm start` as a new user runs it, then `tessera selftest` against it as an operator would: the
 * launcher comes up on its own (migrate, key service, platform, supervised workers, console, demo
 * tenants), prints a banner whose tokens and predict curl work, passes every self-test check with
 * two of its demo tenants, and stops with exit code 0 on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SelftestReport } from '@tessera/platform';

const root = join(__dirname, '..');
const caFile = join(process.env['TESSERA_PKI_DIR'] ?? join(root, '.tessera', 'pki'), 'ca.pem');
let launcher: ChildProcess | undefined;
let output = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let directory: string;
let ports: { gateway: number; issuer: number; s3: number; console: number };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The token printed under a demo user's line in the banner. */
function bannerToken(clientId: string): string {
  const match = new RegExp(`^  ${clientId} .*\\n    (\\S+)$`, 'm').exec(output);
  if (!match) throw new Error(`no token for ${clientId} in the banner:\n${output.slice(-3000)}`);
  return match[1]!;
}

function post(url: string, token: string, body: object): Promise<{ status: number; json: { data?: unknown; errors?: unknown[] } }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = httpsRequest(url, { method: 'POST', ca: readFileSync(caFile), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as { data?: unknown; errors?: unknown[] } }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'tessera-npm-start-'));
  ports = { gateway: await freePort(), issuer: await freePort(), s3: await freePort(), console: await freePort() };
  // Its own process group, so Ctrl-C (SIGINT to the group) reaches npm and the launcher as in a terminal.
  launcher = spawn('npm', ['start'], {
    cwd: root,
    detached: true,
    env: { ...process.env, GATEWAY_PORT: String(ports.gateway), ISSUER_PORT: String(ports.issuer), S3_PORT: String(ports.s3), CONSOLE_PORT: String(ports.console), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  launcher.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  exited = new Promise((resolve) => launcher!.once('exit', (code, signal) => resolve({ code, signal })));
  const started = Date.now();
  while (!/A new token \(client_credentials/.test(output)) {
    if (launcher.exitCode !== null) throw new Error(`npm start exited with ${launcher.exitCode}:\n${output.slice(-4000)}`);
    if (Date.now() - started > 280_000) throw new Error(`npm start printed no banner in time:\n${output.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 300_000);

afterAll(async () => {
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
    process.kill(-launcher.pid!, 'SIGKILL');
    await exited;
  }
  rmSync(directory, { recursive: true, force: true });
});

test('the banner names the gateway and console, and its viewer token answers the printed query', async () => {
  const gatewayUrl = `https://localhost:${ports.gateway}/graphql`;
  expect(output).toContain(`GraphQL gateway   ${gatewayUrl}`);
  expect(output).toMatch(new RegExp(`Web console +https://localhost:${ports.console}`));
  const answer = await post(gatewayUrl, bannerToken('acme-viewer'), { query: '{ datasets { edges { node { name latestVersion { number rowCount } } } } }' });
  expect(answer.status).toBe(200);
  expect(answer.json.errors).toBeUndefined();
  expect(JSON.stringify(answer.json.data)).toContain('rowCount');
});

test('tessera selftest passes every check against npm start with two demo tenants, and leaves nothing behind', async () => {
  const jsonFile = join(directory, 'report.json');
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(join(root, 'node_modules/.bin/tsx'), ['platform/src/main.ts', 'selftest', '--url', `https://localhost:${ports.gateway}/graphql`, '--tenant-a', `token:${bannerToken('acme-admin')}`, '--tenant-b', `token:${bannerToken('globex-admin')}`, '--ca', caFile, '--json', jsonFile], {
      cwd: root,
      env: { ...process.env, SELFTEST_TENANT_A: '', SELFTEST_TENANT_B: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  if (!existsSync(jsonFile)) throw new Error(`no report (exit ${String(run.code)}): ${run.stderr}\n${run.stdout}`);
  const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as SelftestReport;
  expect(report.checks.filter((check) => check.status === 'fail')).toEqual([]);
  expect(run.code).toBe(0);
  expect(report.status).toBe('pass');
  // The walk really ran: isolation checks over the live schema, not only the fixed ones.
  expect(report.checks.filter((check) => check.name.startsWith('isolation.')).length).toBeGreaterThan(50);
}, 300_000);

test('Ctrl-C stops everything: the launcher says so, npm ends, and no process of the group is left', async () => {
  process.kill(-launcher!.pid!, 'SIGINT');
  const end = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000))]);
  // npm receives the terminal's SIGINT too and ends by it; the launcher under it exits 0 after "Stopped." (1 on a failed stop).
  expect({ end, tail: end !== 'timeout' && (end.code === 0 || end.signal === 'SIGINT') ? '' : output.slice(-2000) }).toMatchObject({ tail: '' });
  expect(output).toMatch(/SIGINT: stopping Tessera …\n(.*\n)*Stopped\./);
  // Workers, inference processes, the key service and the issuer were in the group: none may outlive it.
  const deadline = Date.now() + 15_000;
  let alive = true;
  while (alive && Date.now() < deadline) {
    try {
      process.kill(-launcher!.pid!, 0);
      await new Promise((resolve) => setTimeout(resolve, 250));
    } catch {
      alive = false;
    }
  }
  expect(alive).toBe(false);
}, 90_000);
