// Child-process entry: node --import tsx packages/dev-issuer/src/main.ts
//
// Environment (in):
//   ISSUER_AUDIENCE            required, the API's resource indicator (default `aud`)
//   ISSUER_PORT                optional, default 0 (a free port)
//   ISSUER_HOST                optional, default 127.0.0.1
//   ISSUER_CLIENTS_JSON        optional, JSON array of DevClient
//                              ({ clientId, clientSecret, tenant?, roles, tokenTtlSeconds? })
//   ISSUER_BROWSER_CLIENTS_JSON optional, JSON array of BrowserClient
//                              ({ clientId, redirectUris, postLogoutRedirectUris? }: authorization code + PKCE)
//   ISSUER_REGISTRATION_TOKEN  optional, initial access token for dynamic registration (random when unset)
//   ISSUER_TLS_CERT_FILE       required, the server certificate (PEM; the local CA's oidc.pem)
//   ISSUER_TLS_KEY_FILE        required, its key (PEM): the issuer serves HTTPS only
//
// stdout (out) carries only newline-terminated JSON protocol lines:
//   {"issuerUrl":"https://127.0.0.1:PORT","registrationToken":"..."}  once, when ready
//   {"rotated":"<kid>"}                                                after each SIGUSR2
// Everything else (logs, oidc-provider notices, errors) goes to stderr.
//
// Signals: SIGUSR2 rotates the signing key; SIGTERM / SIGINT stop the server and exit 0.
// A start-up failure exits 1.
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import { startIssuer, type BrowserClient, type DevClient, type RunningIssuer } from './issuer.js';

// Keep stdout machine-readable: oidc-provider prints its notices with console.info.
const toStderr = (...args: unknown[]): void => {
  process.stderr.write(`${format(...args)}\n`);
};
console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;

function emit(message: Record<string, string>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function readEnv(): { port: number; host?: string; audience: string; clients: DevClient[]; browserClients: BrowserClient[]; registrationToken?: string; tls: { cert: string; key: string } } {
  const { ISSUER_PORT, ISSUER_HOST, ISSUER_AUDIENCE, ISSUER_CLIENTS_JSON, ISSUER_BROWSER_CLIENTS_JSON, ISSUER_REGISTRATION_TOKEN, ISSUER_TLS_CERT_FILE, ISSUER_TLS_KEY_FILE } = process.env;
  if (!ISSUER_TLS_CERT_FILE || !ISSUER_TLS_KEY_FILE) throw new Error('ISSUER_TLS_CERT_FILE and ISSUER_TLS_KEY_FILE are required (the issuer serves HTTPS only)');

  const port = ISSUER_PORT ? Number(ISSUER_PORT) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`ISSUER_PORT is not a port: ${ISSUER_PORT}`);
  if (!ISSUER_AUDIENCE) throw new Error('ISSUER_AUDIENCE is required (the API resource indicator, e.g. https://api.tessera.local)');

  let clients: DevClient[] = [];
  if (ISSUER_CLIENTS_JSON) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ISSUER_CLIENTS_JSON);
    } catch (error) {
      throw new Error(`ISSUER_CLIENTS_JSON is not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new Error('ISSUER_CLIENTS_JSON must be a JSON array of clients');
    clients = parsed as DevClient[]; // shape validated by startIssuer
  }

  return {
    port,
    ...(ISSUER_HOST ? { host: ISSUER_HOST } : {}),
    audience: ISSUER_AUDIENCE,
    clients,
    browserClients: parseBrowserClients(ISSUER_BROWSER_CLIENTS_JSON),
    ...(ISSUER_REGISTRATION_TOKEN ? { registrationToken: ISSUER_REGISTRATION_TOKEN } : {}),
    tls: { cert: readFileSync(ISSUER_TLS_CERT_FILE, 'utf8'), key: readFileSync(ISSUER_TLS_KEY_FILE, 'utf8') },
  };
}

function parseBrowserClients(json: string | undefined): BrowserClient[] {
  if (!json) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`ISSUER_BROWSER_CLIENTS_JSON is not valid JSON: ${(error as Error).message}`);
  }
  const valid = Array.isArray(parsed) && parsed.every((client: Partial<BrowserClient>) => typeof client?.clientId === 'string' && Array.isArray(client.redirectUris) && client.redirectUris.every((uri) => typeof uri === 'string'));
  if (!valid) throw new Error('ISSUER_BROWSER_CLIENTS_JSON must be a JSON array of { clientId, redirectUris, postLogoutRedirectUris? }');
  return parsed as BrowserClient[];
}

async function main(): Promise<void> {
  const issuer: RunningIssuer = await startIssuer(readEnv());

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    issuer.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`dev-issuer: error while stopping on ${signal}:`, error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  let rotation = Promise.resolve();
  process.on('SIGUSR2', () => {
    rotation = rotation.then(async () => {
      if (stopping) return;
      try {
        emit({ rotated: await issuer.rotateSigningKey() });
      } catch (error) {
        console.error('dev-issuer: key rotation failed:', error);
      }
    });
  });

  emit({ issuerUrl: issuer.issuerUrl, registrationToken: issuer.registrationToken });
}

main().catch((error: unknown) => {
  console.error('dev-issuer: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
