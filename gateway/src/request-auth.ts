import type { IncomingHttpHeaders } from 'node:http';
import type { AccessTokenVerifier, Principal, VerifiedAccessToken } from '@tessera/auth';
import { errors } from '@tessera/errors';
import type { TenantDirectory, TenantRecord } from '@tessera/tenancy';
import { apiKeySecretMatches, looksLikeApiKey, parseApiKey, serviceAccountSubject } from '@tessera/tenants/ports';
import type { AccessCache } from './access/access-cache';
import type { ApiKeyUsageRecorder } from './access/api-key-usage';

export interface AuthenticatedRequest {
  principal: Principal;
  tenant: TenantRecord | undefined;
  /** An API key limited to these root fields (null or absent: whatever its role allows). */
  allowedOperations?: readonly string[] | null;
  /** When the credential stops being valid (ms since epoch): an API key's expiry, an access token's `exp`. */
  expiresAtMs?: number;
}

/**
 * Where a tenant user's roles come from: `claims` — the token's roles claim (an identity provider
 * that manages Tessera's roles itself); `members` — Tessera's own membership of the token's
 * subject in the token's tenant, whatever roles the token claims.
 */
export type RoleSource = 'claims' | 'members';

export interface AccessControl {
  roleSource: RoleSource;
  cache: AccessCache;
  usage: ApiKeyUsageRecorder;
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  return match?.[1];
}

/**
 * Turns a request's bearer credential into a principal. An OIDC access token: verify it (issuer,
 * audience, expiry, algorithm, signature), then require its tenant to exist and be active, and
 * take the tenant roles from the token or from the membership (ROLE_SOURCE). Platform operators
 * (platform_admin, no tenant claim) act on the control plane only. A Tessera API key
 * (`tsk_<id>_<secret>`): its hash, revocation and expiry, then its tenant; it acts as its service
 * account with the key's role.
 */
export function createRequestAuthenticator(verify: AccessTokenVerifier, directory: TenantDirectory, access?: AccessControl) {
  async function fromApiKey(credential: string, sourceIp: string | undefined, requestId: string, control: AccessControl): Promise<AuthenticatedRequest> {
    const parsed = parseApiKey(credential);
    if (!parsed) throw errors.unauthenticated('The API key is malformed.');
    const key = await control.cache.apiKey(parsed.id);
    // Unknown id and wrong secret get the same answer: the id alone is no proof of anything.
    if (!key || !apiKeySecretMatches(parsed.id, parsed.secret, key.secretSha256) || !key.role) throw errors.unauthenticated('The API key is not valid.');
    if (key.revokedAt) throw errors.unauthenticated('The API key has been revoked.');
    if (key.expiresAt.getTime() <= Date.now()) throw errors.unauthenticated('The API key has expired.');
    const tenant = await directory.requireActive(key.tenantId);
    control.usage.record(key.id, sourceIp);
    return {
      principal: {
        kind: 'user',
        subject: serviceAccountSubject(key.serviceAccountId),
        tenantId: key.tenantId,
        roles: [key.role],
        clientId: `api-key:${key.id}`,
        requestId,
        sourceIp,
        apiKeyId: key.id,
      },
      tenant,
      allowedOperations: key.operations,
      expiresAtMs: key.expiresAt.getTime(),
    };
  }

  async function tenantRoles(claims: VerifiedAccessToken & { tenantId: string }): Promise<Principal['roles']> {
    // platform_admin belongs to tenant-less tokens only: a token naming a tenant that also claimed it
    // would be a tenant member who manages tenants — changing its own limits, suspending others.
    if (!access || access.roleSource === 'claims') return claims.roles.filter((role) => role !== 'platform_admin');
    const membership = await access.cache.membership(claims.tenantId, claims.subject, claims.verifiedEmail);
    if (membership.invitationExpired) throw errors.forbidden('Your invitation to this tenant has expired: ask one of its admins to send it again.', { reason: 'INVITATION_EXPIRED' });
    if (!membership.role) throw errors.forbidden('You are not a member of this tenant: ask one of its admins to invite you.', { reason: 'NOT_A_MEMBER' });
    return [membership.role];
  }

  return async function authenticate(headers: IncomingHttpHeaders, sourceIp: string | undefined, requestId: string): Promise<AuthenticatedRequest> {
    const token = bearerToken(headers);
    if (!token) throw errors.unauthenticated('Send an access token: Authorization: Bearer <token>.');
    if (looksLikeApiKey(token)) {
      if (!access) throw errors.unauthenticated('API keys are not accepted here.');
      return fromApiKey(token, sourceIp, requestId, access);
    }
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
    const expiry = claims.expiresAt > 0 ? { expiresAtMs: claims.expiresAt * 1000 } : {};
    if (!claims.tenantId) {
      if (!claims.roles.includes('platform_admin')) throw errors.forbidden('The access token names no tenant.');
      return { principal, tenant: undefined, ...expiry };
    }
    const tenant = await directory.requireActive(claims.tenantId);
    return { principal: { ...principal, roles: await tenantRoles({ ...claims, tenantId: claims.tenantId }) }, tenant, ...expiry };
  };
}

export type RequestAuthenticator = ReturnType<typeof createRequestAuthenticator>;

/**
 * For long-lived connections (subscriptions): whether an authenticated principal still holds what
 * it was admitted with — its API key neither revoked, expired nor deleted; in ROLE_SOURCE=members
 * its membership with the same role. FORBIDDEN otherwise. Reads the same cache as requests, which
 * the tenants service's announcements keep current.
 */
export function createAccessRecheck(access: AccessControl) {
  return async function checkAccess(principal: Principal): Promise<void> {
    if (!principal.tenantId) return;
    if (principal.apiKeyId) {
      const key = await access.cache.apiKey(principal.apiKeyId);
      if (!key || key.revokedAt || key.expiresAt.getTime() <= Date.now() || key.tenantId !== principal.tenantId) throw errors.forbidden('The API key was revoked, deleted or has expired.');
      return;
    }
    if (access.roleSource !== 'members') return;
    const { role } = await access.cache.membership(principal.tenantId, principal.subject, undefined);
    if (!role || !principal.roles.includes(role)) throw errors.forbidden('Your membership in this tenant changed.');
  };
}
