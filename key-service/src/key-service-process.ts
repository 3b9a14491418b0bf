import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { nodeEntryArgs } from '@tessera/config';

export interface KeyServiceProcessOptions {
  stateDirectory: string;
  /** The key service's `keys` certificate and key, and the CA its clients must present certificates of. */
  tls: { caFile: string; certFile: string; keyFile: string };
  port?: number;
  keys?: string[];
  allowedClients?: string[];
  adminClients?: string[];
  /** KEY_SERVICE_AUTH_FILE: AppRole and Kubernetes roles. */
  authFile?: string;
}

export interface RunningKeyServiceProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const repoRoot = join(__dirname, '..', '..');
// main.ts beside this file in the source tree, main.js in the compiled one.
const serviceEntry = join(__dirname, `main${__filename.endsWith('.ts') ? '.ts' : '.js'}`);

/**
 * Runs `tessera keys` in a child process (npm start and the test harness): the key-encryption keys
 * live in that process only, never in the platform's.
 */
export async function startKeyServiceProcess(options: KeyServiceProcessOptions): Promise<RunningKeyServiceProcess> {
  const child = spawn(process.execPath, nodeEntryArgs(serviceEntry), {
    cwd: repoRoot,
    env: {
      // Only what node needs to run: the key service is handed none of the platform's settings.
      ...pick(process.env, ['PATH', 'HOME', 'TMPDIR', 'NODE_OPTIONS']),
      KEY_SERVICE_STATE_DIR: options.stateDirectory,
      KEY_SERVICE_PORT: String(options.port ?? 0),
      ...(options.keys ? { KEY_SERVICE_KEYS: options.keys.join(',') } : {}),
      ...(options.allowedClients ? { KEY_SERVICE_ALLOWED_CLIENTS: options.allowedClients.join(',') } : {}),
      ...(options.adminClients ? { KEY_SERVICE_ADMIN_CLIENTS: options.adminClients.join(',') } : {}),
      ...(options.authFile ? { KEY_SERVICE_AUTH_FILE: options.authFile } : {}),
      TLS_CA_FILE: options.tls.caFile,
      TLS_CERT_FILE: options.tls.certFile,
      TLS_KEY_FILE: options.tls.keyFile,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      try {
        const message = JSON.parse(line) as { event?: string; url?: string };
        if (message.event === 'listening' && message.url) resolve(message.url);
      } catch {
        // not a protocol line
      }
    });
    void exited.then((code) => reject(new Error(`the key service exited (${code}): ${stderr}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]!]])));
}
