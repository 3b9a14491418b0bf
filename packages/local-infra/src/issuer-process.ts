import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { nodeEntryArgs } from '@tessera/config';

export interface IssuerProcessOptions {
  audience: string;
  port?: number;
  clients?: Array<{ clientId: string; clientSecret: string; tenant?: string; roles: string[]; tokenTtlSeconds?: number }>;
  /** Certificate and key files of the issuer (the local CA's `oidc` leaf): it serves HTTPS only. */
  tls: { certFile: string; keyFile: string };
}

export interface RunningIssuerProcess {
  issuerUrl: string;
  registrationToken: string;
  /** Signing-key rotation (SIGUSR2); resolves with the new key id once the issuer publishes it. */
  rotateSigningKey(): Promise<string>;
  stop(): Promise<void>;
}

const repoRoot = join(__dirname, '..', '..', '..');
// Resolved through the package's exports: its TypeScript source here, its compiled main.js when
// this process runs compiled (with the `tessera-compiled` condition).
const issuerEntry = require.resolve('@tessera/dev-issuer/main');

/**
 * Runs the dev OpenID provider in a child process. Jest loads code as CommonJS, and
 * oidc-provider is ESM-only, so tests talk to the issuer over HTTPS like any real IdP.
 */
export async function startIssuerProcess(options: IssuerProcessOptions): Promise<RunningIssuerProcess> {
  const child: ChildProcess = spawn(process.execPath, nodeEntryArgs(issuerEntry), {
    cwd: repoRoot,
    env: {
      ...process.env,
      ISSUER_AUDIENCE: options.audience,
      ISSUER_PORT: String(options.port ?? 0),
      ISSUER_CLIENTS_JSON: JSON.stringify(options.clients ?? []),
      ISSUER_TLS_CERT_FILE: options.tls.certFile,
      ISSUER_TLS_KEY_FILE: options.tls.keyFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  const waiters: Array<(message: Record<string, string>) => void> = [];
  lines.on('line', (line) => {
    try {
      const message = JSON.parse(line) as Record<string, string>;
      waiters.shift()?.(message);
    } catch {
      // not a protocol line
    }
  });
  const next = () =>
    new Promise<Record<string, string>>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`issuer exited (${code}): ${stderr}`));
      child.once('exit', onExit);
      waiters.push((message) => {
        child.off('exit', onExit);
        resolve(message);
      });
    });
  const ready = await withTimeout(next(), 30_000, () => `issuer did not start: ${stderr}`);
  return {
    issuerUrl: String(ready['issuerUrl']),
    registrationToken: String(ready['registrationToken']),
    rotateSigningKey: async () => {
      const rotated = next();
      child.kill('SIGUSR2');
      return String((await withTimeout(rotated, 10_000, () => 'rotation timed out'))['rotated']);
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await withTimeout(exited, 5_000, () => 'issuer did not stop').catch(() => child.kill('SIGKILL'));
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message())), ms);
    }),
  ]);
}
