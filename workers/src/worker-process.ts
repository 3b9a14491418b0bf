import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { nodeEntryArgs, type DatabaseConfig, type RedisConfig } from '@tessera/config';
import type { JWK } from 'jose';

export interface WorkerProcessOptions {
  database: DatabaseConfig;
  /** The file of `database.tlsCa`: the child reads its CA from DATABASE_TLS_CA_FILE like any service. */
  databaseTlsCaFile?: string;
  redis: RedisConfig;
  /** The shared pool's service key (none for a dedicated worker: it signs with its certificate's key) and the base URLs of the jobs, datasets and models services (their ports). */
  ports: { serviceKey: JWK | undefined; jobsUrl: string; datasetsUrl: string; modelsUrl: string };
  /** The worker's TLS identity files (the `workers` certificate; a dedicated worker's `workers-dedicated-<tenant>`). */
  tls: { caFile: string; certFile: string; keyFile: string };
  concurrency?: number;
  /** Serve only this dedicated-tier tenant. */
  dedicatedTenant?: string;
  /** WORKER_REGION: the region whose jobs it runs (default: the home region, or the dedicated tenant's). */
  region?: string;
  lockMs?: number;
  stalledIntervalMs?: number;
  /** WORKER_INSTANCE_ID: its name in queue locks and leases (the supervisor releases them if it dies). */
  instanceId?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Extra environment (e.g. PRETTY_LOGS). */
  env?: Record<string, string>;
}

export interface RunningWorkerProcess {
  pid: number;
  pool: string;
  /** Its health port (`/_health`, `/_readiness`, `/_scaling`), when WORKER_HEALTH_PORT asked for one. */
  healthPort: number | undefined;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** SIGTERM, waits up to 15 s for a clean stop, then SIGKILL. */
  stop(): Promise<void>;
  /** SIGKILL now: no cleanup at all, as a crash or `kill -9` would. */
  kill(): Promise<void>;
}

const repoRoot = join(__dirname, '..', '..');
// main.ts beside this file in the source tree, main.js in the compiled one.
const workerEntry = join(__dirname, `main${__filename.endsWith('.ts') ? '.ts' : '.js'}`);

/** The environment a worker process reads (see worker-environment.ts). */
export function workerProcessEnvironment(options: WorkerProcessOptions): Record<string, string> {
  return {
    DATABASE_URL: options.database.url,
    CONTROL_SCHEMA: options.database.controlSchema,
    DATABASE_POOL_SIZE: String(Math.max(2, Math.min(options.database.poolSize, 6))),
    ...(options.databaseTlsCaFile ? { DATABASE_TLS_CA_FILE: options.databaseTlsCaFile } : {}),
    ...(options.database.regionServers && Object.keys(options.database.regionServers).length > 0 ? { REGION_DATABASES: JSON.stringify(options.database.regionServers) } : {}),
    REDIS_URL: options.redis.url,
    REDIS_KEY_PREFIX: options.redis.keyPrefix,
    ...(options.redis.tlsCaFile ? { REDIS_TLS_CA_FILE: options.redis.tlsCaFile } : {}),
    ...(options.ports.serviceKey ? { SERVICE_KEY: JSON.stringify(options.ports.serviceKey) } : {}),
    JOBS_PORT_URL: options.ports.jobsUrl,
    DATASETS_PORT_URL: options.ports.datasetsUrl,
    MODELS_PORT_URL: options.ports.modelsUrl,
    TLS_CA_FILE: options.tls.caFile,
    TLS_CERT_FILE: options.tls.certFile,
    TLS_KEY_FILE: options.tls.keyFile,
    WORKER_CONCURRENCY: String(options.concurrency ?? 1),
    ...(options.dedicatedTenant ? { WORKER_DEDICATED_TENANT: options.dedicatedTenant } : {}),
    ...(options.region ? { WORKER_REGION: options.region } : {}),
    ...(options.lockMs ? { WORKER_LOCK_MS: String(options.lockMs) } : {}),
    ...(options.stalledIntervalMs ? { WORKER_STALLED_INTERVAL_MS: String(options.stalledIntervalMs) } : {}),
    ...(options.instanceId ? { WORKER_INSTANCE_ID: options.instanceId } : {}),
    TRACING_EXPORTER: 'none',
    LOG_LEVEL: options.logLevel ?? 'warn',
    TENANT_CACHE_TTL_MS: '0',
    ...options.env,
  };
}

/**
 * Runs a worker in a child process (tsx), as production runs `tessera worker`: tests kill these
 * with SIGKILL to prove a job survives its worker; `npm start` runs one beside the platform.
 */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<RunningWorkerProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...workerProcessEnvironment(options) };
  // A dedicated worker holds no service key, not even one its parent's environment happens to have.
  if (!options.ports.serviceKey) delete env['SERVICE_KEY'];
  const child: ChildProcess = spawn(process.execPath, nodeEntryArgs(workerEntry), {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
    if (process.env['WORKER_STDERR'] === 'inherit') process.stderr.write(chunk);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    // A child that could not be started (EAGAIN, ENOMEM) never exits: its error ends the wait instead of the supervisor.
    child.once('error', (error: NodeJS.ErrnoException) => {
      stderr += `\nworker process error: ${error.code ?? ''} ${error.message}`;
      resolve(error.code ?? 'error');
    });
  });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 60 s: ${stderr}`)), 60_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        const message = JSON.parse(line) as Record<string, unknown>;
        if (message['ready'] === true) {
          clearTimeout(timer);
          resolve(message);
        }
      } catch {
        // a log line, not the ready message
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready: ${stderr}`));
    });
  });
  const pid = child.pid!;
  return {
    pid,
    pool: String(ready['pool']),
    healthPort: typeof ready['healthPort'] === 'number' ? ready['healthPort'] : undefined,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
