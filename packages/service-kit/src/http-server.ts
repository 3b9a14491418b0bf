import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Express } from 'express';
import { createLogger, type Logger } from '@tessera/config';
import { serviceOfIdentity } from './ports/dedicated-worker-identity';
import { originOfRefusedRequest, type ParserErrorFacts } from './refused-request-origin';
import { peerIdentity, type ServerTls } from './tls';

export interface RunningHttpServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Headers a refusal of the HTTP parser carries besides its own, given the request's `Origin` where it could be read. */
export type RefusalHeaders = (origin: string | undefined) => ReadonlyArray<readonly [string, string]>;

export interface ListenOptions {
  /** What every other answer to that origin carries (the gateway's CORS headers); none when omitted. */
  refusalHeaders?: RefusalHeaders | undefined;
  /**
   * Node's limit on receiving a whole request, headers and body (`server.requestTimeout`; 5 minutes
   * when omitted; 0: none — the caller then bounds bodies itself). Headers keep `headersTimeout`.
   */
  requestTimeoutMs?: number | undefined;
}

/**
 * Listens on `port` (0 = any free port) and returns the base URL; `close` also drops idle keep-alive
 * sockets. With `tls`, HTTPS (and mutual TLS when `tls.allowedClients` is set); without, plain HTTP.
 */
export async function listen(
  app: Express | ((req: never, res: never) => void),
  port: number,
  host = '127.0.0.1',
  tls?: ServerTls,
  logger: Logger = createLogger('error'),
  options: ListenOptions = {},
): Promise<RunningHttpServer> {
  const handler = app as unknown as (req: IncomingMessage, res: ServerResponse) => void;
  // An https.Server is an http.Server that also speaks TLS: the same type for everything downstream.
  const server: Server = tls ? (createTlsServer(tlsServerOptions(tls), handler) as unknown as Server) : createServer(handler);
  if (tls?.allowedClients) refuseClientsOutside(server, tls.allowedClients);
  answerUnparsableRequests(server, options.refusalHeaders);
  server.keepAliveTimeout = 65_000;
  if (options.requestTimeoutMs !== undefined) server.requestTimeout = options.requestTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Errors of a listening server (accept failing with EMFILE) are logged: an 'error' with no listener would end the process.
  server.on('error', (error: NodeJS.ErrnoException) => logger.error('http server error', { error: error.message, errorCode: error.code }));
  const address = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${address.port}`,
    port: address.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function tlsServerOptions(tls: ServerTls) {
  const mutual = tls.allowedClients !== undefined;
  return {
    ca: tls.identity.ca,
    cert: tls.identity.cert,
    key: tls.identity.key,
    minVersion: 'TLSv1.2' as const,
    // Mutual TLS: the handshake fails for a client without a certificate of our CA.
    requestCert: mutual,
    rejectUnauthorized: mutual,
  };
}

/**
 * A verified certificate of the CA is not enough: its identity must be one this service answers.
 * A dedicated tenant's workers (`workers-dedicated-<tenant>`) are admitted where the workers are;
 * the port endpoint then confines them to their tenant.
 */
function refuseClientsOutside(server: Server, allowedClients: readonly string[]): void {
  const allowed = new Set(allowedClients);
  server.on('secureConnection', (socket: TLSSocket) => {
    const identity = peerIdentity(socket);
    if (!identity || !(allowed.has(identity) || allowed.has(serviceOfIdentity(identity)))) socket.destroy();
  });
}

/**
 * A request Node's HTTP parser refuses before any handler sees it (a malformed request line,
 * headers over the size limit, a request that does not arrive in time) gets the same typed JSON
 * body as every other refusal — `BAD_REQUEST`, with the status Node would send (400, 431, 408) —
 * instead of Node's empty reply; the connection is closed, as Node does. With `refusalHeaders`, it
 * also carries the headers they give for the request's `Origin`, where that can be read
 * (refused-request-origin.ts): a browser reads a refusal only if it carries the CORS headers.
 */
export function answerUnparsableRequests(server: Server, refusalHeaders?: RefusalHeaders): void {
  // The last request whose head each connection delivered: if its body is what failed, its parsed
  // headers are at hand (a refused head never reaches 'request'; a completed one is not the failing one).
  const heads = new WeakMap<Duplex, IncomingMessage>();
  if (refusalHeaders) server.on('request', (req: IncomingMessage) => heads.set(req.socket, req));
  server.on('clientError', (error: NodeJS.ErrnoException & ParserErrorFacts, socket: Duplex) => {
    // A response already under way cannot take another: Node's own handler checks the same field.
    const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (error.code === 'ECONNRESET' || !socket.writable || answering) {
      socket.destroy();
      return;
    }
    const [status, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'The request headers are too large.']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'The request did not arrive in time.']
          : [400, 'The HTTP request is malformed.'];
    endWithRefusal(socket, status, 'BAD_REQUEST', message, refusalHeaders ? refusalHeaders(originOfRefusedRequest(error, heads.get(socket))) : []);
  });
  // CONNECT (a proxy tunnel) is served by no route here: without a listener Node drops the connection
  // without a word. It is refused like any other method no route takes.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    // Node has taken its own error listener off a socket it hands over: one left without any would end the process.
    socket.on('error', () => socket.destroy());
    endWithRefusal(socket, 405, 'METHOD_NOT_ALLOWED', 'CONNECT is not served here.', refusalHeaders ? refusalHeaders(req.headers.origin) : []);
  });
}

/**
 * Answers a request on its raw connection (no ServerResponse: a refusal of Node's parser, a CONNECT,
 * a refused WebSocket upgrade) with the typed JSON body of every other refusal, and closes it.
 */
export function endWithRefusal(socket: Duplex, status: number, code: string, message: string, headers: ReadonlyArray<readonly [string, string]> = []): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${headerLines(headers)}\r\n${body}`);
}

/** Header lines written by hand (no ServerResponse checks them): a name or value that could break a line is left out. */
function headerLines(headers: ReadonlyArray<readonly [string, string]>): string {
  return headers
    .filter(([name, value]) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) && /^[\x20-\x7e]*$/.test(value))
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
}
