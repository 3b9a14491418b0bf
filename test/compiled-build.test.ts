/**
 * The compiled build runs on its own, the way the image runs it: plain `node` with the
 * `tessera-compiled` condition (workspace packages resolve to their dist/ JavaScript), no tsx, no
 * TypeScript file loaded. A gateway started from platform/dist answers its health routes in front of a
 * real stack, and the inference pools start their worker child from compiled JavaScript.
 *
 * The build is incremental and shared with `npm test`'s own `npm run build`, so here it is a no-op
 * check (a second or two) unless sources changed since.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { databaseOf, redisOf } from '@tessera/platform';
import { startTestStack, type TestStack } from '@tessera/testing';
import { copyBuildAssets } from '../scripts/build/build-assets';

const root = join(__dirname, '..');
const compiledCondition = '--conditions=tessera-compiled';
const platformMain = join(root, 'platform', 'dist', 'src', 'main.js');

let stack: TestStack | undefined;
let gateway: ChildProcess | undefined;

beforeAll(() => {
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-b', 'platform', 'packages/inference', 'packages/onnx'], { cwd: root, stdio: 'pipe' });
  copyBuildAssets(root);
}, 600_000);

afterAll(async () => {
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway!.once('exit', resolve));
    gateway.kill('SIGTERM');
    await exited;
  }
  await stack?.stop();
});

/** Runs a compiled file with plain node (no tsx) and the build's condition; resolves with stdout. */
function runCompiled(file: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [compiledCondition, file, ...args], { cwd: root, env: { PATH: process.env['PATH'] }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the compiled build', () => {
  it('emits JavaScript and the schema files the subgraphs read beside it', () => {
    expect(existsSync(platformMain)).toBe(true);
    for (const subgraph of ['audit', 'datasets', 'jobs', 'metrics', 'models', 'tenants']) {
      const compiled = join(root, 'subgraphs', subgraph, 'dist', 'src', 'schema.graphql');
      expect(readFileSync(compiled, 'utf8')).toBe(readFileSync(join(root, 'subgraphs', subgraph, 'src', 'schema.graphql'), 'utf8'));
    }
    expect(existsSync(join(root, 'packages', 'inference', 'dist', 'src', 'worker', 'inference-worker.main.js'))).toBe(true);
  });

  it('refuses to start without a service name, having loaded every module compiled (plain node)', async () => {
    const { code, stderr } = await runCompiled(platformMain);
    expect(code).not.toBe(0);
    // Any TypeScript file reached at run time would stop the process with a SyntaxError first.
    expect(stderr).toContain('usage: tessera <command>');
    expect(stderr).toContain('migrate ');
    expect(stderr).not.toMatch(/SyntaxError|Unknown file extension|Cannot find module/);
  }, 60_000);

  it('the inference pools start their worker child from compiled JavaScript and predict', async () => {
    const { code, stdout, stderr } = await runCompiled(join(root, 'test', 'fixtures', 'compiled-inference.cjs'));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(stdout.trim()) as { value: number; pid: number; parentPid: number; childCommand: string[]; loadedTypeScript: string[]; inferenceEntry: string };
    expect(report.value).toBeCloseTo(2 * 1 - 2 + 0.5 * 3 + 3, 5);
    expect(report.pid).not.toBe(report.parentPid);
    expect(report.inferenceEntry).toBe(join(root, 'packages', 'inference', 'dist', 'src', 'index.js'));
    expect(report.loadedTypeScript).toEqual([]);
    // The child: plain node on the compiled entry, with the parent's condition and no tsx loader.
    expect(report.childCommand.slice(1)).toEqual([compiledCondition, join(root, 'packages', 'inference', 'dist', 'src', 'worker', 'inference-worker.main.js')]);
  }, 60_000);

  it('a compiled gateway (plain node) answers /_health and /_readiness in front of a real stack', async () => {
    stack = await startTestStack();
    const { config, platform, pki } = stack;
    const redis = redisOf('gateway', config.redis, config.redisByService);
    const subgraphUrl = (name: keyof typeof platform.subgraphs) => `${platform.subgraphs[name].url}/graphql`;
    gateway = spawn(process.execPath, [compiledCondition, platformMain, 'gateway'], {
      cwd: root,
      env: {
        PATH: process.env['PATH'],
        DATABASE_URL: databaseOf(config, 'gateway').url,
        DATABASE_TLS_CA_FILE: pki.caFile,
        OIDC_TLS_CA_FILE: pki.caFile,
        CONTROL_SCHEMA: config.database.controlSchema,
        OIDC_ISSUER_URL: config.oidc.issuerUrl,
        OIDC_AUDIENCE: config.oidc.audience,
        OIDC_ALGORITHMS: config.oidc.algorithms.join(','),
        INTERNAL_CONTEXT_PRIVATE_KEY: JSON.stringify(config.internalContextKeys.privateJwk),
        TLS_CA_FILE: pki.caFile,
        TLS_CERT_FILE: pki.files('gateway').certFile,
        TLS_KEY_FILE: pki.files('gateway').keyFile,
        DATASETS_URL: subgraphUrl('datasets'),
        MODELS_URL: subgraphUrl('models'),
        JOBS_URL: subgraphUrl('jobs'),
        AUDIT_URL: subgraphUrl('audit'),
        METRICS_URL: subgraphUrl('metrics'),
        TENANTS_URL: subgraphUrl('tenants'),
        GATEWAY_PORT: '0',
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: redis.keyPrefix,
        ...(redis.tlsCaFile ? { REDIS_TLS_CA_FILE: redis.tlsCaFile } : {}),
        TRACING_EXPORTER: 'none',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const child = gateway;
    let tail = '';
    const graphqlUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the compiled gateway did not start: ${tail}`)), 90_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the compiled gateway exited (${code}): ${tail}`));
      });
      createInterface({ input: child.stderr! }).on('line', (line) => {
        tail = `${tail}\n${line}`.slice(-4000);
        try {
          const entry = JSON.parse(line) as { message?: string; url?: string };
          if (entry.message === 'gateway listening' && entry.url) {
            clearTimeout(timer);
            resolve(entry.url);
          }
        } catch {
          // not a log line
        }
      });
    });
    const origin = new URL(graphqlUrl).origin;
    expect(origin.startsWith('https://')).toBe(true);
    const health = await fetch(`${origin}/_health`);
    expect(health.status).toBe(200);
    const readiness = await fetch(`${origin}/_readiness`);
    expect(readiness.status).toBe(200);
    // The process runs the compiled entry with plain node: no tsx anywhere in its command line.
    const command = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(command.slice(1)).toEqual([compiledCondition, platformMain, 'gateway']);
  }, 180_000);
});
