/**
 * The self-test's own HTTP(S) client: `node:https` with the operator's CA (`--ca`) as the only
 * extra trust anchor, so what it verifies is what a client of that deployment would verify.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface GraphQLError {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLAnswer<T = Record<string, unknown>> {
  status: number;
  data: T | null | undefined;
  errors: GraphQLError[] | undefined;
  /** The body as received, for leak scans and details. */
  raw: string;
}

export interface TransportOptions {
  /** PEM of the CA the gateway's certificate chains to; unset: the public roots. */
  ca?: string | undefined;
  timeoutMs?: number;
  /** A keep-alive pool for the run (closed when it ends, so nothing outlives it). */
  agent?: Agent | undefined;
}

export function sendHttp(url: string, init: { method: string; headers?: Record<string, string>; body?: Buffer | string }, options: TransportOptions): Promise<HttpAnswer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      {
        method: init.method,
        headers: init.headers,
        ...(target.protocol === 'https:' && options.ca ? { ca: options.ca } : {}),
        ...(target.protocol === 'https:' && options.agent ? { agent: options.agent } : { agent: false }),
        timeout: options.timeoutMs ?? 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer from ${target.origin} within ${options.timeoutMs ?? 30_000} ms`)));
    request.on('error', reject);
    request.end(init.body);
  });
}

export async function postGraphQL<T = Record<string, unknown>>(
  url: string,
  bearer: string | undefined,
  query: string,
  variables: Record<string, unknown>,
  options: TransportOptions,
): Promise<GraphQLAnswer<T>> {
  const answer = await sendHttp(
    url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query, variables }),
    },
    options,
  );
  const raw = answer.body.toString('utf8');
  try {
    const body = JSON.parse(raw) as { data?: T | null; errors?: GraphQLError[] };
    return { status: answer.status, data: body.data, errors: body.errors, raw };
  } catch {
    return { status: answer.status, data: undefined, errors: [{ message: `not JSON (HTTP ${answer.status}): ${raw.slice(0, 200)}` }], raw };
  }
}

export function errorCodes(answer: { errors?: GraphQLError[] | undefined }): string[] {
  return (answer.errors ?? []).map((error) => String(error.extensions?.code ?? 'NO_CODE'));
}

export interface TlsFacts {
  authorized: boolean;
  authorizationError?: string;
  protocol: string | null;
  subject: string;
  validTo: string;
}

/** A bare TLS handshake with the gateway's host: what the certificate says and which version was agreed. */
export function probeTls(url: string, options: TransportOptions): Promise<TlsFacts> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host,
      port: Number(target.port || 443),
      ...(isIP(host) ? {} : { servername: host }),
      ...(options.ca ? { ca: options.ca } : {}),
      // Verified below, so a failure is reported with its reason instead of thrown.
      rejectUnauthorized: false,
      timeout: options.timeoutMs ?? 10_000,
    });
    socket.once('secureConnect', () => {
      const certificate: PeerCertificate = socket.getPeerCertificate();
      const facts: TlsFacts = {
        authorized: socket.authorized,
        protocol: socket.getProtocol(),
        subject: String(certificate.subject?.CN ?? '(no CN)'),
        validTo: certificate.valid_to ?? '',
        ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
      };
      socket.end();
      resolve(facts);
    });
    socket.once('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('error', reject);
  });
}

/**
 * What a plain-HTTP request to `url` gets: `refused` (no HTTP answer: connection refused, reset or
 * closed), `redirect` (3xx to https), or `answered` with the status (a plaintext endpoint).
 */
export async function probePlaintext(url: string, timeoutMs: number): Promise<{ outcome: 'refused' | 'redirect' | 'answered'; detail: string }> {
  try {
    const answer = await sendHttp(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }, { timeoutMs });
    const location = answer.headers['location'];
    if (answer.status >= 300 && answer.status < 400 && typeof location === 'string' && location.startsWith('https://')) {
      return { outcome: 'redirect', detail: `HTTP ${answer.status} to ${location}` };
    }
    // A TLS server reading plain HTTP may still write a 400 before closing; that serves nothing.
    if (answer.status === 400 && !answer.body.toString('utf8').includes('"data"')) return { outcome: 'refused', detail: `HTTP 400 without data: ${answer.body.toString('utf8').slice(0, 80)}` };
    return { outcome: 'answered', detail: `HTTP ${answer.status}: ${answer.body.toString('utf8').slice(0, 120)}` };
  } catch (error) {
    return { outcome: 'refused', detail: error instanceof Error ? error.message : String(error) };
  }
}
