import { serviceTokenHeader, type JobGrantToken, type Principal, type ServiceTokenSigner } from '@tessera/auth';
import { errors, isErrorCode, TesseraError, type ErrorDetails } from '@tessera/errors';
import { injectTraceHeaders } from '@tessera/telemetry';
import { toWireActor, type GrantPortMethods, type PortMethods } from './port-definition';
import type { PortFetch, PortResponse } from './port-fetch';

export interface PortClientOptions {
  /** The owning service's base URL (e.g. https://jobs:4003); calls go to `<url>/internal/ports/<port>/<method>`. */
  baseUrl: string;
  port: string;
  /** Signs this service's identity into each call (the seam mutual TLS replaces). */
  sign: ServiceTokenSigner;
  /** Per call; a port call is a short lookup or write, never a stream. */
  timeoutMs?: number;
  /** The HTTP exchange: mutual TLS with the caller's certificate (`mutualTlsPortFetch`). */
  fetch: PortFetch;
}

/**
 * The client side of a port: the same interface the owner implements in-process, each method a
 * POST with the acting principal and the input. The owner's typed errors come back as the same
 * TesseraError (code and details), so callers handle NOT_FOUND or QUOTA_EXCEEDED exactly as they
 * would in-process; an unreachable owner is SERVICE_UNAVAILABLE (transient for the workers).
 */
export function createPortClient<P>(methods: ReadonlyArray<keyof P & string>, options: PortClientOptions): PortMethods<P> {
  const client: Record<string, (actor: Principal, input: unknown) => Promise<unknown>> = {};
  for (const method of methods) client[method] = (actor, input) => callPort(options, method, actor, input);
  return client as PortMethods<P>;
}

/** The client side of a grant port: each call carries the job grant in place of an actor. */
export function createGrantPortClient<P>(methods: ReadonlyArray<keyof P & string>, options: PortClientOptions): GrantPortMethods<P> {
  const client: Record<string, (grant: JobGrantToken, input: unknown) => Promise<unknown>> = {};
  for (const method of methods) client[method] = (grant, input) => send(options, method, JSON.stringify({ grant, input: input ?? null }), 'job');
  return client as GrantPortMethods<P>;
}

async function callPort(options: PortClientOptions, method: string, actor: Principal, input: unknown): Promise<unknown> {
  return send(options, method, JSON.stringify({ actor: toWireActor(actor), input: input ?? null }), actor.requestId);
}

async function send(options: PortClientOptions, method: string, body: string, requestId: string): Promise<unknown> {
  const token = await options.sign({ port: options.port, body });
  let response: PortResponse;
  try {
    response = await options.fetch(`${options.baseUrl}/internal/ports/${options.port}/${method}`, {
      method: 'POST',
      // The caller's trace continues in the owner (a job run's span is the parent of its port calls).
      headers: injectTraceHeaders({ 'content-type': 'application/json', [serviceTokenHeader]: token, 'x-request-id': requestId }),
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    // The socket's words name the owner's address: they stay in the cause, for the operator's log.
    // This message reaches clients (a GraphQL answer, a job's error, a key operation's lastError).
    throw errors.unavailable(`The ${options.port} service is not reachable.`, error);
  }
  const text = await response.text();
  let parsed: { result?: unknown; errors?: Array<{ message?: unknown; extensions?: Record<string, unknown> }> };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw errors.unavailable(`The ${options.port} service answered ${response.status} without JSON.`);
  }
  if (response.ok && 'result' in parsed) return parsed.result;
  const first = parsed.errors?.[0];
  const code = first?.extensions?.['code'];
  const { code: _code, ...details } = first?.extensions ?? {};
  if (isErrorCode(code)) throw new TesseraError(code, typeof first?.message === 'string' ? first.message : code, details as ErrorDetails);
  throw errors.unavailable(`The ${options.port} service answered ${response.status}.`);
}
