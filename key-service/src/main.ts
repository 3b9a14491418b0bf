/**
 * `tessera keys`: the local key service (Vault's transit API over mutual TLS), a process of its
 * own so no Tessera service ever holds a key-encryption key. Prints one JSON line per event on
 * stdout; the first is `{"event":"listening","url":…}`. Configuration: README "Key service".
 */
import { ConfigError, exitOnUnhandledErrors } from '@tessera/config';
import { readKeyServiceEnvironment } from './key-service-environment';
import { startKeyService } from './key-service';

/** Runs the key service until SIGINT/SIGTERM (also `tessera keys` in the platform image). */
export async function runKeyService(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = readKeyServiceEnvironment(env);
  const log = (entry: Record<string, string | number>) => {
    if (config.logLevel !== 'silent' && config.logLevel !== 'error' && config.logLevel !== 'warn') process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service: 'keys', ...entry })}\n`);
  };
  const service = await startKeyService(config, log);
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: service.url, port: service.port, stateDirectory: service.stateDirectory })}\n`);
  const stop = () => void service.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  exitOnUnhandledErrors({ service: 'keys' });
  runKeyService().catch((error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
