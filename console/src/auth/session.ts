import { InMemoryWebStorage, UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import type { ConsoleConfig } from '../config';

export type Role = 'admin' | 'data_scientist' | 'viewer' | 'auditor' | 'platform_admin';

/** Who is signed in: first as the access token's claims say, then as the API answers `me` (EffectivePrincipal). */
export interface Principal {
  subject: string;
  tenant: string | undefined;
  roles: Role[];
}

const knownRoles: readonly Role[] = ['admin', 'data_scientist', 'viewer', 'auditor', 'platform_admin'];

function decodeClaims(accessToken: string): Record<string, unknown> {
  const payload = accessToken.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(json) as Record<string, unknown>;
}

function claimAt(claims: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), claims);
}

/**
 * Reads, never trusts: the gateway verifies the token. Only the subject is shown from here (while
 * `me` is asked, or when it is refused); what the console shows or hides follows `me`'s roles,
 * which are the token's only with ROLE_SOURCE=claims.
 */
export function principalOf(user: User, config: Pick<ConsoleConfig, 'tenantClaim' | 'rolesClaim'>): Principal {
  const claims = decodeClaims(user.access_token);
  const rolesClaim = claimAt(claims, config.rolesClaim ?? 'roles');
  const tenantClaim = claimAt(claims, config.tenantClaim ?? 'tenant');
  const roles = Array.isArray(rolesClaim) ? rolesClaim.filter((role): role is Role => knownRoles.includes(role as Role)) : [];
  return { subject: String(claims['sub'] ?? ''), tenant: typeof tenantClaim === 'string' ? tenantClaim : undefined, roles };
}

/**
 * Tokens live in this page's memory only (InMemoryWebStorage): a reload signs in again, which is
 * quick while the issuer's session lasts. Only the sign-in state (PKCE verifier, return path)
 * survives the redirect, in sessionStorage, and is removed when the callback consumes it.
 */
export function createUserManager(config: ConsoleConfig): UserManager {
  return new UserManager({
    authority: config.issuerUrl,
    client_id: config.clientId,
    redirect_uri: `${window.location.origin}/callback`,
    post_logout_redirect_uri: `${window.location.origin}/`,
    response_type: 'code',
    scope: 'openid offline_access',
    resource: config.audience,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    // The library's default is localStorage: shared by every tab and kept across restarts.
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    // Renewal with the refresh token, a minute before expiry.
    automaticSilentRenew: true,
    accessTokenExpiringNotificationTimeInSeconds: 60,
  });
}

export interface ReturnState {
  path: string;
}
