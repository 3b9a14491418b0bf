import { join, resolve } from 'node:path';
import { z } from 'zod';
import { commaList, logLevel, parseEnvironment, port } from '@tessera/config';

const repoRoot = resolve(__dirname, '..', '..');

/**
 * The services that wrap or unwrap tenant data keys: the only ones the key service admits (jobs
 * seals job results). Not the workers: they get one object's key at a time from its owner, under a
 * job grant.
 */
export const defaultKeyClients = ['datasets', 'models', 'jobs', 'audit', 'tenants'];

/** The local key service's settings (README table "Key service"). */
export const keyServiceEnvironment = z.object({
  KEY_SERVICE_PORT: port(8200),
  LISTEN_HOST: z.string().min(1).default('127.0.0.1'),
  // Created 0700 on first start; holds the KEK versions (transit-keys.json, 0600).
  KEY_SERVICE_STATE_DIR: z.string().min(1).default(join(repoRoot, '.tessera', 'keys')),
  // Keys created on start when missing (derived aes256-gcm96), as an operator would in Vault.
  KEY_SERVICE_KEYS: commaList().default(['tessera']),
  KEY_SERVICE_ALLOWED_CLIENTS: commaList().default(defaultKeyClients),
  // Of the admitted clients, those that may create, rotate, configure, trim and rewrap.
  KEY_SERVICE_ADMIN_CLIENTS: commaList().default(['tenants']),
  // AppRole and Kubernetes logins (README "Key provider"): roles, token TTLs, and whether every call needs a token.
  KEY_SERVICE_AUTH_FILE: z.string().min(1).optional(),
  // Its own certificate (the local CA's `keys` leaf) and the CA its clients' certificates must chain to.
  TLS_CA_FILE: z.string().min(1),
  TLS_CERT_FILE: z.string().min(1),
  TLS_KEY_FILE: z.string().min(1),
  LOG_LEVEL: logLevel(),
});

export interface KeyServiceConfig {
  port: number;
  host: string;
  stateDirectory: string;
  keys: string[];
  allowedClients: string[];
  adminClients: string[];
  /** KEY_SERVICE_AUTH_FILE, when set. */
  authFile?: string | undefined;
  tls: { caFile: string; certFile: string; keyFile: string };
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export function readKeyServiceEnvironment(env: NodeJS.ProcessEnv = process.env): KeyServiceConfig {
  const parsed = parseEnvironment(keyServiceEnvironment, env);
  return {
    port: parsed.KEY_SERVICE_PORT,
    host: parsed.LISTEN_HOST,
    stateDirectory: resolve(parsed.KEY_SERVICE_STATE_DIR),
    keys: parsed.KEY_SERVICE_KEYS,
    allowedClients: parsed.KEY_SERVICE_ALLOWED_CLIENTS,
    adminClients: parsed.KEY_SERVICE_ADMIN_CLIENTS.filter((client) => parsed.KEY_SERVICE_ALLOWED_CLIENTS.includes(client)),
    authFile: parsed.KEY_SERVICE_AUTH_FILE,
    tls: { caFile: parsed.TLS_CA_FILE, certFile: parsed.TLS_CERT_FILE, keyFile: parsed.TLS_KEY_FILE },
    logLevel: parsed.LOG_LEVEL,
  };
}
