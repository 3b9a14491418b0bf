// `tsx console/server/main.ts`: serves a built console in a deployment (the same server npm start
// uses), configured from the environment (server/environment.ts). Any static server can do this
// job instead; the contract it must keep is in the README ("Web console").
import { readFileSync } from 'node:fs';
import { exitOnUnhandledErrors } from '@tessera/config';
import { distDirectory } from './build';
import { readConsoleEnvironment } from './environment';
import { startConsoleServer } from './static-server';

async function main(): Promise<void> {
  const env = readConsoleEnvironment();
  const config = env.config;
  const server = await startConsoleServer({
    root: env.distDirectory ?? distDirectory,
    port: env.port,
    host: env.host,
    config: () => config,
    ...(env.tls ? { tls: { cert: readFileSync(env.tls.certFile, 'utf8'), key: readFileSync(env.tls.keyFile, 'utf8') } } : {}),
  });
  process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'console listening', url: server.url })}\n`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

exitOnUnhandledErrors({ service: 'console' });
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
