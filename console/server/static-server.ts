// Serves the built console: its files, index.html for every route of the single-page app, and
// /config.json (where the issuer and the gateway are) from the process's own settings. Local runs
// and tests use this; a deployment may use any static server that does the same (see README).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, relative, sep } from 'node:path';

/** What the page reads from /config.json (src/config.ts is its other side). */
export interface ConsoleRuntimeConfig {
  issuerUrl: string;
  clientId: string;
  audience: string;
  graphqlUrl: string;
  /** The access token's claims the gateway reads (OIDC_TENANT_CLAIM, OIDC_ROLES_CLAIM; dot paths). */
  tenantClaim?: string;
  rolesClaim?: string;
}

export interface ConsoleServerOptions {
  /** The built files (console/dist). */
  root: string;
  /** Read per request: the launcher may know the issuer's or the gateway's address only later. */
  config: () => ConsoleRuntimeConfig;
  port?: number;
  host?: string;
  /** Certificate and key (PEM): HTTPS, like the gateway. Plain HTTP only without it. */
  tls?: { cert: string; key: string };
}

export interface RunningConsoleServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * The page may talk only to itself, the issuer and the gateway (HTTPS and WSS); no inline script or
 * style (React sets styles through the CSSOM, which the policy allows), no framing. Tokens live in the
 * page's memory, so script injection is what matters most here.
 */
export function contentSecurityPolicy(config: ConsoleRuntimeConfig): string {
  const issuer = new URL(config.issuerUrl).origin;
  const gateway = new URL(config.graphqlUrl);
  const websocket = `${gateway.protocol === 'https:' ? 'wss:' : 'ws:'}//${gateway.host}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${issuer} ${gateway.origin} ${websocket}`,
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    `form-action 'self' ${issuer}`,
  ].join('; ');
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<RunningConsoleServer> {
  const root = normalize(options.root);
  // Over TLS the browser is told to keep to HTTPS; a plain-HTTP run (tests) cannot say so.
  const transport = options.tls ? { 'strict-transport-security': 'max-age=31536000' } : {};
  const base = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY', 'cross-origin-opener-policy': 'same-origin', ...transport };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    let config: ConsoleRuntimeConfig;
    let csp: string;
    try {
      config = options.config();
      csp = contentSecurityPolicy(config);
    } catch {
      // The launcher learns the issuer's and the gateway's addresses while it starts them: until
      // then there is no page to serve. A throw here would end the process (npm start's included).
      res.writeHead(503, { ...base, 'content-type': 'text/plain', 'retry-after': '2' }).end('the console is starting');
      return;
    }
    const common = { ...base, 'content-security-policy': csp };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...common, allow: 'GET, HEAD' }).end();
      return;
    }
    const path = decodedPath(req.url);
    if (path === undefined) {
      res.writeHead(400, { ...common, 'content-type': 'text/plain' }).end('bad request path');
      return;
    }
    if (path === '/config.json') {
      res.writeHead(200, { ...common, 'content-type': 'application/json', 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : JSON.stringify(config));
      return;
    }
    const file = normalize(join(root, path));
    const inside = file.startsWith(root + sep);
    const isFile = inside && existsSync(file) && statSync(file).isFile();
    // Routes of the app (/datasets/…) get index.html; a missing asset is a 404.
    if (!isFile && path.startsWith('/assets/')) {
      res.writeHead(404, { ...common, 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const served = isFile ? file : join(root, 'index.html');
    if (!isFile && !existsSync(served)) {
      res.writeHead(503, { ...common, 'content-type': 'text/plain', 'retry-after': '5' }).end('the console is being built');
      return;
    }
    // Judged inside the root: a deployment's own path may hold a folder named assets too.
    const immutable = relative(root, served).startsWith(`assets${sep}`);
    res.writeHead(200, {
      ...common,
      'content-type': contentTypes[extname(served)] ?? 'application/octet-stream',
      // Hashed asset names never change; index.html always revalidates so a new build is picked up.
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(served).on('error', () => res.destroy()).pipe(res);
  };
  const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    // localhost: the name on the local CA's certificates, and a secure context for the browser.
    url: `${options.tls ? 'https' : 'http'}://localhost:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The decoded path of a request target, or undefined when it is none (`//`, a broken %-escape):
 * both throw, and a throw in a request handler would end the process.
 */
function decodedPath(target: string | undefined): string | undefined {
  try {
    return decodeURIComponent(new URL(target ?? '/', 'http://console').pathname);
  } catch {
    return undefined;
  }
}
