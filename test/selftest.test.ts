/**
 * `tessera selftest` against a running stack: everything passes against the real gateway; through
 * a proxy that serves tenant B's `dataset(id)` calls as tenant A (a broken isolation layer) it
 * fails, exits non-zero and names the check; and the CLI process (`tessera selftest`, as a
 * Kubernetes Job or an operator after `npm start` runs it: HTTPS with --ca, an API key) works.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSelftestCommand, type SelftestReport } from '@tessera/platform';
import { expectNoErrors, startTestStack, type TestStack } from '@tessera/testing';
import { nodeEntryArgs } from '@tessera/config';

let stack: TestStack;
let tokenA: string;
let tokenB: string;
let apiKeyB: string;
let directory: string;

beforeAll(async () => {
  stack = await startTestStack();
  const [a, b] = await Promise.all([stack.createTenant(), stack.createTenant()]);
  [tokenA, tokenB] = await Promise.all([a.token('admin'), b.token('admin')]);
  const account = expectNoErrors(
    await stack.query<{ createServiceAccount: { id: string } }>(tokenB, 'mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id } }', { input: { name: 'selftest', role: 'ADMIN' } }),
  ).createServiceAccount;
  apiKeyB = expectNoErrors(
    await stack.query<{ createApiKey: { secret: string } }>(tokenB, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }', { input: { serviceAccountId: account.id } }),
  ).createApiKey.secret;
  directory = mkdtempSync(join(tmpdir(), 'tessera-selftest-'));
});

afterAll(async () => {
  rmSync(directory, { recursive: true, force: true });
  await stack?.stop();
});

const failures = (report: SelftestReport) => report.checks.filter((check) => check.status === 'fail');

/** `tessera selftest` as its own process, the way a Kubernetes Job or an operator next to `npm start` runs it. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = join(__dirname, '..');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeEntryArgs(join(root, 'platform/src/main.ts')), 'selftest', ...args], { cwd: root, env: { ...process.env, SELFTEST_TENANT_A: '', SELFTEST_TENANT_B: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the CLI passes every check against the running gateway (HTTPS with --ca, a token and an API key) and leaves tenant A as it was', async () => {
  const tokenFile = join(directory, 'tenant-a.token');
  writeFileSync(tokenFile, `token:${tokenA}\n`, { mode: 0o600 });
  const jsonFile = join(directory, 'report.json');
  const run = await runCli(['--url', stack.gatewayUrl, '--tenant-a', `@${tokenFile}`, '--tenant-b', `apikey:${apiKeyB}`, '--ca', stack.pki.caFile, '--json', jsonFile]);
  if (!existsSync(jsonFile)) throw new Error(`no report (exit ${String(run.code)}): ${run.stderr}`);
  const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as SelftestReport;
  expect(failures(report)).toEqual([]);
  expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(report.status).toBe('pass');
  expect(run.stdout).toMatch(/^PASS: \d+ passed, 0 failed/m);
  const names = report.checks.map((check) => check.name);
  for (const name of [
    'tls.certificate',
    'tls.version',
    'tls.plaintext-same-port',
    'fixtures.tenant-a',
    'auth.no-token',
    'auth.forged-token',
    'auth.tampered-token',
    'auth.expired-token',
    'auth.forged-api-key',
    'auth.tampered-api-key',
    'auth.ws-forged-token',
    'isolation.query.dataset(id=dataset)',
    'isolation.query.datasets',
    'isolation.mutation.deleteDataset(id=dataset)',
    'isolation.subscription.jobProgress(jobId=job)',
    'isolation.subscription.jobEvents-while-a-changes',
    'isolation.download.tenant-b',
    'isolation.upload.tenant-b',
    'isolation.predict-route.control',
    'isolation.predict-route.tenant-b.model-id',
    'isolation.predict-route.tenant-b.model-id-alias',
    'isolation.predict-route.tenant-b.model-name',
    'isolation.predict-route.no-token',
    'isolation.tenant-a-unchanged',
    'limits.depth',
    'limits.aliases',
    'limits.rate-limit',
    'cleanup.tenant-a',
  ]) {
    expect(names).toContain(name);
  }
  expect(report.checks.find((check) => check.name === 'tls.version')?.detail).toMatch(/^TLSv1\.[23]/);
  // Controls: A's own call of the same probe returned A's data, so B's refusal is meaningful.
  const detail = (name: string) => report.checks.find((check) => check.name === name)?.detail;
  expect(detail('isolation.query.dataset(id=dataset)')).toMatch(/NOT_FOUND.*returns its data/);
  expect(detail('isolation.query.predict(input.alias=alias, input.modelId=model)')).toMatch(/NOT_FOUND.*returns its data/);
  // The flood was refused for its rate, not answered with some other error first.
  expect(detail('limits.rate-limit')).toMatch(/^RATE_LIMITED .* × datasets\(first: 100\)/);
  expect(detail('limits.rate-limit')).not.toMatch(/other errors/);
  const listed = expectNoErrors(await stack.query<{ datasets: { edges: unknown[] }; models: { edges: unknown[] } }>(tokenA, '{ datasets { edges { node { id } } } models { edges { node { id } } } }'));
  expect(listed.datasets.edges).toEqual([]);
  expect(listed.models.edges).toEqual([]);
}, 150_000);

test('bad usage exits 2 and sends nothing', async () => {
  const io = { out: '', stdout: (text: string) => void (io.out += text), stderr: (text: string) => void (io.out += text), env: {} };
  expect(await runSelftestCommand(['--url', stack.graphqlUrl, '--tenant-a', 'not-a-credential', '--tenant-b', tokenB], io)).toBe(2);
  expect(io.out).toContain('bad credential');
  expect(await runSelftestCommand(['--url', stack.graphqlUrl, '--tenant-a', tokenA, '--tenant-b', tokenB, '--checks', 'everything'], io)).toBe(2);
  expect(await runSelftestCommand(['--tenant-a', tokenA], io)).toBe(2);
});

/** HTTPS in front of the gateway that answers B's `dataset(…)` queries as if B were A; the rest passes through. */
async function startLeakingProxy(): Promise<{ url: string; server: Server }> {
  const target = new URL(stack.graphqlUrl);
  const server = createServer({ ...stack.pki.identity('gateway') }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers, host: target.host };
      if (headers.authorization === `Bearer ${tokenB}` && /\{\s*dataset\(/.test(body.toString('utf8'))) headers.authorization = `Bearer ${tokenA}`;
      const upstream = httpsRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers, ca: stack.pki.ca }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  // WebSockets pass through unchanged: the raw upgrade request, then bytes both ways.
  server.on('upgrade', (req, socket, head) => {
    const upstream = tlsConnect({ host: target.hostname, port: Number(target.port), ca: stack.pki.ca, servername: 'localhost' }, () => {
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v)}`).join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `https://localhost:${(server.address() as AddressInfo).port}/graphql`, server };
}

test('a gateway that serves tenant B with tenant A\'s dataset fails the run, exits 1 and names the check', async () => {
  const proxy = await startLeakingProxy();
  try {
    let out = '';
    const code = await runSelftestCommand(
      ['--url', proxy.url, '--tenant-a', `token:${tokenA}`, '--tenant-b', tokenB, '--ca', stack.pki.caFile, '--checks', 'isolation', '--no-job', '--json', join(directory, 'leak.json')],
      { stdout: (text) => (out += text), stderr: (text) => (out += text), env: {} },
    );
    expect(code).toBe(1);
    const report = JSON.parse(readFileSync(join(directory, 'leak.json'), 'utf8')) as SelftestReport;
    const failed = failures(report).map((check) => check.name);
    expect(failed).toContain('isolation.query.dataset(id=dataset)');
    expect(report.checks.find((check) => check.name === 'isolation.query.dataset(id=dataset)')?.detail).toContain("tenant B received tenant A's");
    expect(out).toMatch(/FAIL\s+isolation\.query\.dataset\(id=dataset\)/);
    // Cleanup still ran and held.
    expect(report.checks.find((check) => check.name === 'cleanup.tenant-a')?.status).toBe('pass');
  } finally {
    await new Promise((resolve) => proxy.server.close(resolve));
  }
}, 120_000);
