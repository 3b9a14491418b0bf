/** Starts Hive Gateway in a child process (bench/hive-gateway-main.ts) in front of a bench stack's subgraphs. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { TestStack } from '@tessera/testing';
import { processCpuMicros } from './process-stats';

export interface PeerGatewayProcess {
  graphqlUrl: string;
  pid: number;
  /** CPU time (user + system) the process has used so far, µs; undefined where /proc is missing. */
  cpuMicros(): number | undefined;
  stop(): Promise<void>;
}

const repoRoot = path.join(__dirname, '..');

export async function startHiveGatewayProcess(stack: TestStack): Promise<PeerGatewayProcess> {
  const supergraph = stack.platform.gateway.supergraphSdl();
  if (!supergraph) throw new Error('the gateway has not composed a supergraph yet');
  const folder = mkdtempSync(path.join(tmpdir(), 'tessera-peer-'));
  const supergraphFile = path.join(folder, 'supergraph.graphql');
  writeFileSync(supergraphFile, supergraph);
  const { config, platform } = stack;
  const gatewayFiles = stack.pki.files('gateway');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    NODE_ENV: 'production',
    // The issuer's discovery document is read with fetch: trust the local CA there too.
    NODE_EXTRA_CA_CERTS: stack.pki.caFile,
    HIVE_SUPERGRAPH_FILE: supergraphFile,
    HIVE_SUBGRAPHS: JSON.stringify(Object.fromEntries(Object.entries(platform.subgraphs).map(([name, subgraph]) => [name, `${subgraph.url}/graphql`]))),
    TLS_CA_FILE: stack.pki.caFile,
    TLS_CERT_FILE: gatewayFiles.certFile,
    TLS_KEY_FILE: gatewayFiles.keyFile,
    OIDC_ISSUER_URL: config.oidc.issuerUrl,
    OIDC_AUDIENCE: config.oidc.audience,
    OIDC_ALGORITHMS: config.oidc.algorithms.join(','),
    OIDC_TENANT_CLAIM: config.oidc.tenantClaim,
    OIDC_ROLES_CLAIM: config.oidc.rolesClaim,
    INTERNAL_CONTEXT_PRIVATE_KEY: JSON.stringify(config.internalContextKeys.privateJwk),
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench/hive-gateway-main.ts')], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  const graphqlUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Hive Gateway did not start: ${tail}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Hive Gateway exited (${code}): ${tail}`));
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      tail = `${tail}\n${line}`.slice(-4000);
      try {
        const entry = JSON.parse(line) as { message?: string; url?: string };
        if (entry.message === 'hive listening' && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // not a log line
      }
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    graphqlUrl,
    pid: child.pid ?? 0,
    cpuMicros: () => (child.pid ? processCpuMicros(child.pid) : undefined),
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(folder, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
