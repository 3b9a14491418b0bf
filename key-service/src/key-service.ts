import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAuthConfig } from './auth-config';
import { KeyStateFile } from './key-state-file';
import { TransitEngine } from './transit-engine';
import { startTransitServer, type RunningTransitServer } from './transit-server';
import type { KeyServiceConfig } from './key-service-environment';

export interface RunningKeyService extends RunningTransitServer {
  stateDirectory: string;
}

/**
 * Starts the local key service: loads (or creates) the state directory, creates the configured
 * keys if missing, and listens. One process owns a state directory (a pid lock file says which):
 * two writers would each keep their own copy of the key versions and lose the other's rotations.
 */
export async function startKeyService(config: Omit<KeyServiceConfig, 'logLevel'>, log?: (entry: Record<string, string | number>) => void): Promise<RunningKeyService> {
  const file = new KeyStateFile(config.stateDirectory);
  const engine = new TransitEngine(file);
  const release = lockDirectory(config.stateDirectory);
  try {
    for (const name of config.keys) if (engine.createKey(name, { derived: true })) log?.({ event: 'key_created', key: name });
    const tls = { ca: readFileSync(config.tls.caFile, 'utf8'), cert: readFileSync(config.tls.certFile, 'utf8'), key: readFileSync(config.tls.keyFile, 'utf8') };
    const auth = config.authFile ? readAuthConfig(config.authFile) : undefined;
    const server = await startTransitServer({ engine, tls, allowedClients: config.allowedClients, adminClients: config.adminClients, protectedKeys: config.keys, port: config.port, host: config.host, ...(auth ? { auth } : {}), ...(log ? { log } : {}) });
    return {
      ...server,
      stateDirectory: config.stateDirectory,
      close: async () => {
        await server.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

function lockDirectory(directory: string): () => void {
  const lock = join(directory, 'service.pid');
  if (existsSync(lock)) {
    const holder = Number(readFileSync(lock, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new Error(`the key state directory ${directory} is in use by process ${holder}`);
    }
  }
  writeFileSync(lock, `${process.pid}\n`, { mode: 0o600 });
  return () => rmSync(lock, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
