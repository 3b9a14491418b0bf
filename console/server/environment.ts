import { z } from 'zod';
import { parseEnvironment, port } from '@tessera/config';
import type { ConsoleRuntimeConfig } from './static-server';

const httpsUrl = z.string().url().refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL');

/** `tessera console` (server/main.ts): where the built files are, and what /config.json tells the page. */
const consoleVariables = z.object({
  CONSOLE_PORT: port(4300),
  LISTEN_HOST: z.string().min(1).default('127.0.0.1'),
  CONSOLE_DIST_DIR: z.string().min(1).optional(),
  CONSOLE_ISSUER_URL: httpsUrl,
  CONSOLE_CLIENT_ID: z.string().min(1),
  CONSOLE_AUDIENCE: z.string().min(1),
  CONSOLE_GRAPHQL_URL: httpsUrl,
  CONSOLE_TENANT_CLAIM: z.string().min(1).default('tenant'),
  CONSOLE_ROLES_CLAIM: z.string().min(1).default('roles'),
  CONSOLE_TLS_CERT_FILE: z.string().min(1).optional(),
  CONSOLE_TLS_KEY_FILE: z.string().min(1).optional(),
});

export interface ConsoleEnvironment {
  port: number;
  host: string;
  distDirectory: string | undefined;
  config: ConsoleRuntimeConfig;
  tls: { certFile: string; keyFile: string } | undefined;
}

/** Parsed once at start-up; a bad value throws a ConfigError naming every bad variable. */
export function readConsoleEnvironment(env: NodeJS.ProcessEnv = process.env): ConsoleEnvironment {
  const parsed = parseEnvironment(consoleVariables, env);
  if (!!parsed.CONSOLE_TLS_CERT_FILE !== !!parsed.CONSOLE_TLS_KEY_FILE) {
    throw new Error('CONSOLE_TLS_CERT_FILE and CONSOLE_TLS_KEY_FILE: set both (HTTPS) or neither (HTTP behind a TLS-terminating proxy)');
  }
  return {
    port: parsed.CONSOLE_PORT,
    host: parsed.LISTEN_HOST,
    distDirectory: parsed.CONSOLE_DIST_DIR,
    config: {
      issuerUrl: parsed.CONSOLE_ISSUER_URL,
      clientId: parsed.CONSOLE_CLIENT_ID,
      audience: parsed.CONSOLE_AUDIENCE,
      graphqlUrl: parsed.CONSOLE_GRAPHQL_URL,
      tenantClaim: parsed.CONSOLE_TENANT_CLAIM,
      rolesClaim: parsed.CONSOLE_ROLES_CLAIM,
    },
    tls: parsed.CONSOLE_TLS_CERT_FILE && parsed.CONSOLE_TLS_KEY_FILE ? { certFile: parsed.CONSOLE_TLS_CERT_FILE, keyFile: parsed.CONSOLE_TLS_KEY_FILE } : undefined,
  };
}
