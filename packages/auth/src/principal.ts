import type { Role } from './roles';

/**
 * Who is calling, as the gateway established it. `tenantId` is absent only for platform
 * operators whose token names no tenant, and for the gateway's own schema-loading calls.
 */
export interface Principal {
  kind: 'user';
  subject: string;
  tenantId: string | undefined;
  roles: Role[];
  clientId: string | undefined;
  requestId: string;
  sourceIp: string | undefined;
  /**
   * Set when the caller presented a Tessera API key instead of an OIDC token: the key's id. The
   * principal is then the key's service account (`subject`), with the key's role.
   */
  apiKeyId?: string | undefined;
}

/** The gateway itself, loading subgraph SDL; it may read `_service` and nothing else. */
export interface GatewayServicePrincipal {
  kind: 'gateway';
  requestId: string;
}

export type Caller = Principal | GatewayServicePrincipal;

export function hasAnyRole(principal: Principal, roles: readonly Role[]): boolean {
  return principal.roles.some((role) => roles.includes(role));
}
