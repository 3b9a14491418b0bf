import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { certificateOnly, type KeyServiceAuthConfig } from './auth-config';
import { handleAuthRequest } from './auth-routes';
import { TokenStore } from './token-store';
import type { TransitEngine } from './transit-engine';
import { TransitError } from './transit-error';

export interface TransitServerOptions {
  engine: TransitEngine;
  /** This service's certificate and key, and the CA every client certificate must chain to (PEM). */
  tls: { ca: string; cert: string; key: string };
  /** Client identities (certificate CN) admitted at all: the services that wrap and unwrap tenant keys. */
  allowedClients: readonly string[];
  /** Of those, the ones that administer the keys: create, rotate, config, trim and rewrap. */
  adminClients: readonly string[];
  /**
   * The platform's key-encryption keys (KEY_SERVICE_KEYS): never made deletable nor deleted, by any
   * client (403, as a Vault policy granting `delete` on `transit/keys/tessera-tenant-*` only answers).
   */
  protectedKeys?: readonly string[];
  /** Where the transit engine answers (Vault's default mount: `transit`). */
  mount?: string;
  /** AppRole and Kubernetes logins, and whether transit calls need a token from one (default: certificates alone). */
  auth?: KeyServiceAuthConfig;
  port: number;
  host: string;
  /** One line per request (who, what, outcome); never key material. */
  log?: (entry: Record<string, string | number>) => void;
}

export interface RunningTransitServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Operation = 'create' | 'delete' | 'read' | 'rotate' | 'config' | 'trim' | 'encrypt' | 'decrypt' | 'rewrap';
const adminOperations: ReadonlySet<Operation> = new Set(['create', 'delete', 'rotate', 'config', 'trim', 'rewrap']);
const maxBodyBytes = 64 * 1024;

/**
 * The local key service's HTTPS listener: Vault's transit API over mutual TLS with the local CA.
 * A client without a certificate of that CA never completes the handshake; one whose certificate
 * names a service outside `allowedClients` is disconnected before its first request is read; an
 * admitted client outside `adminClients` gets Vault's 403 "permission denied" on admin paths (what
 * a Vault policy without those capabilities answers).
 */
export async function startTransitServer(options: TransitServerOptions): Promise<RunningTransitServer> {
  const mount = options.mount ?? 'transit';
  const auth = options.auth ?? certificateOnly;
  // In memory: a restart revokes every token, and clients log in again.
  const tokens = new TokenStore();
  const server: Server = createServer({ ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, (req, res) => {
    void handle(req, res);
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    const identity = clientOf(socket);
    if (!identity || !options.allowedClients.includes(identity)) {
      options.log?.({ event: 'connection_refused', client: identity ?? '(none)' });
      socket.destroy();
    }
  });
  server.on('tlsClientError', () => undefined);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client = clientOf(req.socket as TLSSocket) ?? '(none)';
    const path = pathOf(req.url);
    // A request target that is no path (`//`, `//host:99999`): refused here, where it cannot throw.
    if (path === undefined) return send(res, 400, { errors: ['the request path is not valid'] });
    let operation: Operation | 'health' | 'auth' | undefined;
    try {
      if (req.method === 'GET' && path === '/v1/sys/health') {
        operation = 'health';
        return send(res, 200, { initialized: true, sealed: false, standby: false });
      }
      const token = headerToken(req);
      if (path.startsWith('/v1/auth/')) {
        operation = 'auth';
        const body = req.method === 'POST' ? await readJson(req) : {};
        const answer = handleAuthRequest({ method: req.method ?? 'GET', path: path.slice('/v1/auth/'.length), body, token, client, isAdminClient: options.adminClients.includes(client) }, auth, tokens, Math.floor(Date.now() / 1000));
        return 'body' in answer ? send(res, answer.status, answer.body) : send(res, answer.status, undefined);
      }
      const route = routeOf(req.method ?? 'GET', path, mount);
      if (!route) throw new TransitError(404, 'unsupported path');
      operation = route.operation;
      // A token, when sent (or required), must be one of ours, live, and issued to this very certificate: a stolen token alone opens nothing.
      if (token !== undefined || auth.requireToken) {
        const issued = tokens.find(token);
        if (!issued || issued.client !== client) throw new TransitError(403, 'permission denied');
      }
      if (adminOperations.has(route.operation) && !options.adminClients.includes(client)) throw new TransitError(403, 'permission denied');
      const body = req.method === 'POST' ? await readJson(req) : {};
      // The client refuses to delete the platform KEK; so must the service, whoever holds an admin certificate.
      if (options.protectedKeys?.includes(route.name) && (route.operation === 'delete' || (route.operation === 'config' && body['deletion_allowed'] !== undefined && body['deletion_allowed'] !== false))) {
        throw new TransitError(403, 'permission denied');
      }
      const engine = options.engine;
      switch (route.operation) {
        case 'create':
          // Vault answers an existing key with a warning, not an error: creating is idempotent.
          return engine.createKey(route.name, body) ? send(res, 204, undefined) : send(res, 200, { data: engine.read(route.name), warnings: ['key already exists'] });
        case 'read':
          return send(res, 200, { data: engine.read(route.name) });
        case 'delete':
          engine.deleteKey(route.name);
          return send(res, 204, undefined);
        case 'rotate':
          return send(res, 200, { data: engine.rotate(route.name) });
        case 'config':
          return send(res, 200, { data: engine.configure(route.name, body) });
        case 'trim':
          return send(res, 200, { data: engine.trim(route.name, body) });
        case 'encrypt':
          return send(res, 200, { data: engine.encrypt(route.name, body) });
        case 'decrypt':
          return send(res, 200, { data: engine.decrypt(route.name, body) });
        case 'rewrap':
          return send(res, 200, { data: engine.rewrap(route.name, body) });
      }
    } catch (error) {
      const status = error instanceof TransitError ? error.status : 500;
      const message = error instanceof TransitError ? error.message : 'internal error';
      send(res, status, { errors: [message] });
    } finally {
      if (operation && operation !== 'health' && operation !== 'encrypt' && operation !== 'decrypt') options.log?.({ event: 'request', client, operation: operation === 'auth' ? `auth/${path.slice('/v1/auth/'.length)}` : operation, status: res.statusCode });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  return {
    url: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function routeOf(method: string, path: string, mount: string): { operation: Operation; name: string } | undefined {
  const prefix = `/v1/${mount}/`;
  if (!path.startsWith(prefix)) return undefined;
  const parts = path.slice(prefix.length).split('/');
  const name = parts[1];
  if (!name || !/^[A-Za-z0-9_.-]{1,128}$/.test(name)) return undefined;
  const [kind, , action] = parts;
  if (parts.length === 2 && kind === 'keys') return method === 'GET' ? { operation: 'read', name } : method === 'POST' ? { operation: 'create', name } : method === 'DELETE' ? { operation: 'delete', name } : undefined;
  if (method !== 'POST') return undefined;
  if (parts.length === 3 && kind === 'keys' && (action === 'rotate' || action === 'config' || action === 'trim')) return { operation: action, name };
  if (parts.length === 2 && (kind === 'encrypt' || kind === 'decrypt' || kind === 'rewrap')) return { operation: kind, name };
  return undefined;
}

function headerToken(req: IncomingMessage): string | undefined {
  const value = req.headers['x-vault-token'];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function clientOf(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return typeof cn === 'string' ? cn : undefined;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new TransitError(413, 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new TransitError(400, 'failed to parse JSON input');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' }).end(text);
}

/** The path of a request target, or undefined when it does not parse as one. */
function pathOf(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? '/', 'https://keys').pathname;
  } catch {
    return undefined;
  }
}
