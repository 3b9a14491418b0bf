import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { requestIdOf } from '../pipeline/request-id';
import type { RequestPipeline } from '../pipeline/request-pipeline';
import type { ClientAddressOf } from '../request-facts';
import type { Principal } from '@tessera/auth';
import { errors, isTesseraError } from '@tessera/errors';
import { subscriptionCloseCodes } from '@tessera/service-kit';
import type { TenantRecord } from '@tessera/tenancy';

export interface AuthenticatedConnection {
  principal: Principal;
  tenant: TenantRecord;
  /** When the access token (or API key) stops being valid (ms since epoch): the socket is closed then. */
  expiresAtMs: number;
  /** An API key limited to these root fields. */
  allowedOperations?: readonly string[] | null | undefined;
}

/** A refusal at `connection_init`, as the WebSocket close code and reason the client sees. */
export class ConnectionRefused extends Error {
  constructor(
    readonly closeCode: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** `{ authorization: 'Bearer …' }` (any case, like the HTTP header) or `{ token: '…' }`. */
export function tokenFromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!params) return undefined;
  for (const [key, value] of Object.entries(params)) {
    if (key.toLowerCase() !== 'authorization' || typeof value !== 'string') continue;
    const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
    if (match) return match[1];
  }
  return typeof params['token'] === 'string' && params['token'].length > 0 ? params['token'] : undefined;
}

/**
 * The pipeline's authentication steps (the HTTP checks: issuer, audience, expiry, signature, then
 * the tenant must exist and be active), applied to the token of a `connection_init` presented as
 * the header an HTTP request would carry, so every HTTP check — and its failure recording — applies as is.
 */
export async function authenticateConnection(
  pipeline: Pick<RequestPipeline, 'connect'>,
  params: Readonly<Record<string, unknown>> | undefined,
  request: IncomingMessage,
  clientAddress: ClientAddressOf,
): Promise<AuthenticatedConnection> {
  const token = tokenFromConnectionParams(params);
  const headers: IncomingHttpHeaders = token ? { authorization: `Bearer ${token}` } : {};
  try {
    const { principal, tenant, allowedOperations, expiresAtMs } = await pipeline.connect({ headers, ip: clientAddress(request), requestId: requestIdOf(request.headers) });
    if (!tenant) throw errors.forbidden('Subscriptions need a tenant user.');
    return { principal, tenant, allowedOperations, expiresAtMs: expiresAtMs ?? Number.POSITIVE_INFINITY };
  } catch (error) {
    // Say where a WebSocket client puts its token (the HTTP message names a header it cannot send).
    if (!token && isTesseraError(error) && error.code === 'UNAUTHENTICATED') throw toConnectionRefused(errors.unauthenticated("Send { authorization: 'Bearer <token>' } in connection_init."));
    throw toConnectionRefused(error);
  }
}

export function toConnectionRefused(error: unknown): ConnectionRefused {
  if (error instanceof ConnectionRefused) return error;
  if (isTesseraError(error)) {
    const reason = closeReason(error.message);
    if (error.code === 'UNAUTHENTICATED') return new ConnectionRefused(subscriptionCloseCodes.unauthorized, `Unauthorized: ${reason}`);
    if (error.code === 'FORBIDDEN') return new ConnectionRefused(subscriptionCloseCodes.forbidden, `Forbidden: ${reason}`);
    if (error.code === 'RATE_LIMITED') return new ConnectionRefused(subscriptionCloseCodes.rateLimited, `Too many requests: too many failed authentications; retry after ${String(error.extensions['retryAfterSeconds'])} s`);
    if (error.code === 'SERVICE_UNAVAILABLE') return new ConnectionRefused(subscriptionCloseCodes.unavailable, `Unavailable: ${reason}`);
  }
  return new ConnectionRefused(subscriptionCloseCodes.unavailable, 'Unavailable: the connection could not be authenticated; retry later');
}

/** Close reasons are limited to 123 bytes by the WebSocket protocol. */
function closeReason(message: string): string {
  return Buffer.byteLength(message) <= 100 ? message : `${Buffer.from(message).subarray(0, 97).toString('utf8')}...`;
}
