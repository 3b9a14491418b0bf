import type { IncomingHttpHeaders } from 'node:http';
import type { AccessTokenVerifier, Principal } from '@tessera/auth';
import { errors } from '@tessera/errors';
import type { TenantDirectory, TenantRecord } from '@tessera/tenancy';

export interface AuthenticatedRequest {
  principal: Principal;
  tenant: TenantRecord | undefined;
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  return match?.[1];
}

/**
 * Turns a request's bearer token into a principal: verify the token (issuer, audience, expiry,
 * algorithm, signature), then require its tenant to exist and be active. Platform operators
 * (platform_admin, no tenant claim) act on the control plane only.
 */
export function createRequestAuthenticator(verify: AccessTokenVerifier, directory: TenantDirectory) {
  return async function authenticate(headers: IncomingHttpHeaders, sourceIp: string | undefined, requestId: string): Promise<AuthenticatedRequest> {
    const token = bearerToken(headers);
    if (!token) throw errors.unauthenticated('Send an access token: Authorization: Bearer <token>.');
    const claims = await verify(token);
    const principal: Principal = {
      kind: 'user',
      subject: claims.subject,
      tenantId: claims.tenantId,
      roles: claims.roles,
      clientId: claims.clientId,
      requestId,
      sourceIp,
    };
    if (!claims.tenantId) {
      if (!claims.roles.includes('platform_admin')) throw errors.forbidden('The access token names no tenant.');
      return { principal, tenant: undefined };
    }
    const tenant = await directory.requireActive(claims.tenantId);
    return { principal, tenant };
  };
}

export type RequestAuthenticator = ReturnType<typeof createRequestAuthenticator>;
