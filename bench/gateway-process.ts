/**
 * The gateway in a process of its own (`tessera gateway`, the production layout), pointed at the
 * subgraphs of a bench stack. In the single-process stack the gateway and the subgraphs share one
 * event loop, so every microsecond of gateway CPU is also a microsecond the subgraph waits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { databaseOf, redisOf } from '@tessera/platform';
import type { Principal } from '@tessera/auth';
import type { TestStack } from '@tessera/testing';
import { processCpuMicros, processRssBytes } from './process-stats';

export interface GatewayProcess {
  graphqlUrl: string;
  pid: number;
  /** The process's inspector WebSocket (for a CPU profile), when started with `inspect`. */
  inspectorUrl: string | undefined;
  /** CPU time (user + system) the gateway process has used so far, µs; undefined where /proc is missing. */
  cpuMicros(): number | undefined;
  /** Resident memory of the gateway process now, bytes; undefined where /proc is missing. */
  rssBytes(): number | undefined;
  stop(): Promise<void>;
}

const repoRoot = path.join(__dirname, '..');

/** Node flags for the gateway process (BENCH_GATEWAY_NODE_FLAGS, space-separated), e.g. GC tuning. */
const gatewayNodeFlags = (process.env['BENCH_GATEWAY_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);

export async function startGatewayProcess(
  stack: TestStack,
  options: { tenantCacheTtlMs: number; inspect?: boolean; env?: Record<string, string>; /** Another checkout whose gateway to run (a before/after in one run); this one by default. */ repoRoot?: string },
): Promise<GatewayProcess> {
  const root = options.repoRoot ?? repoRoot;
  const { config, platform } = stack;
  const subgraphUrl = (name: keyof typeof platform.subgraphs) => `${platform.subgraphs[name].url}/graphql`;
  // The gateway's own Redis user (ACL) when the stack has one per service.
  const redis = redisOf('gateway', config.redis, config.redisByService);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    DATABASE_URL: databaseOf(config, 'gateway').url,
    // Every hop is TLS: MariaDB (REQUIRE SSL), the issuer and Redis present certificates of the local CA.
    DATABASE_TLS_CA_FILE: stack.pki.caFile,
    OIDC_TLS_CA_FILE: stack.pki.caFile,
    CONTROL_SCHEMA: config.database.controlSchema,
    OIDC_ISSUER_URL: config.oidc.issuerUrl,
    OIDC_AUDIENCE: config.oidc.audience,
    OIDC_ALGORITHMS: config.oidc.algorithms.join(','),
    INTERNAL_CONTEXT_PRIVATE_KEY: JSON.stringify(config.internalContextKeys.privateJwk),
    // The gateway's identity from the local CA: mutual TLS to the subgraphs, HTTPS to the load.
    TLS_CA_FILE: stack.pki.caFile,
    TLS_CERT_FILE: stack.pki.files('gateway').certFile,
    TLS_KEY_FILE: stack.pki.files('gateway').keyFile,
    DATASETS_URL: subgraphUrl('datasets'),
    MODELS_URL: subgraphUrl('models'),
    JOBS_URL: subgraphUrl('jobs'),
    AUDIT_URL: subgraphUrl('audit'),
    METRICS_URL: subgraphUrl('metrics'),
    TENANTS_URL: subgraphUrl('tenants'),
    GATEWAY_PORT: '0',
    TENANT_CACHE_TTL_MS: String(options.tenantCacheTtlMs),
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.keyPrefix,
    ...(redis.tlsCaFile ? { REDIS_TLS_CA_FILE: redis.tlsCaFile } : {}),
    TRACING_EXPORTER: 'none',
    LOG_LEVEL: 'info',
    // Gateway settings a bench may vary (unset: the deployment defaults).
    ...(process.env['RATE_LIMITED_HOLD_MS'] ? { RATE_LIMITED_HOLD_MS: process.env['RATE_LIMITED_HOLD_MS'] } : {}),
    ...options.env,
  };
  // Port 0: the inspector picks a free port and names its URL on stderr.
  const inspectFlags = options.inspect ? ['--inspect=127.0.0.1:0'] : [];
  const child: ChildProcess = spawn(process.execPath, [...gatewayNodeFlags, ...inspectFlags, '--import', 'tsx', path.join(root, 'platform/src/main.ts'), 'gateway'], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tail = '';
  let inspectorUrl: string | undefined;
  const graphqlUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway process did not start: ${tail}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway process exited (${code}): ${tail}`));
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      tail = `${tail}\n${line}`.slice(-4000);
      inspectorUrl ??= /^Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
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
  return processHandle(child, graphqlUrl, inspectorUrl);
}

/** /proc readings and a stop (SIGTERM, then SIGKILL after 10 s) for a started bench process. */
function processHandle(child: ChildProcess, graphqlUrl: string, inspectorUrl: string | undefined): GatewayProcess {
  return {
    graphqlUrl,
    pid: child.pid ?? 0,
    inspectorUrl,
    cpuMicros: () => (child.pid ? processCpuMicros(child.pid) : undefined),
    rssBytes: () => (child.pid ? processRssBytes(child.pid) : undefined),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/**
 * bench/gateway-relay.ts in a process of its own, in front of the datasets subgraph of `stack`: the
 * floor of the own-process gateway path (TLS in, a fresh signed context, mutual TLS out, nothing else).
 */
export async function startGatewayRelayProcess(stack: TestStack, principal: Principal): Promise<GatewayProcess> {
  const gatewayFiles = stack.pki.files('gateway');
  const child: ChildProcess = spawn(process.execPath, [...gatewayNodeFlags, '--import', 'tsx', path.join(repoRoot, 'bench/gateway-relay.ts')], {
    cwd: repoRoot,
    env: {
      PATH: process.env['PATH'],
      RELAY_CA_FILE: stack.pki.caFile,
      RELAY_CERT_FILE: gatewayFiles.certFile,
      RELAY_KEY_FILE: gatewayFiles.keyFile,
      RELAY_TARGET_URL: `${stack.platform.subgraphs.datasets.url}/graphql`,
      RELAY_AUDIENCE: 'datasets',
      RELAY_PRINCIPAL: JSON.stringify(principal),
      RELAY_PRIVATE_JWK: JSON.stringify(stack.config.internalContextKeys.privateJwk),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail = `${tail}\n${line}`.slice(-4000);
  });
  const relayUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the relay process did not start: ${tail}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the relay process exited (${code}): ${tail}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const url = (JSON.parse(line) as { relayUrl?: string }).relayUrl;
        if (url) {
          clearTimeout(timer);
          resolve(url);
        }
      } catch {
        // not the announcement
      }
    });
  });
  return processHandle(child, relayUrl, undefined);
}
