import type { Principal } from '@tessera/auth';

export interface CurrentPrincipal {
  subject: string;
  tenantId: string | null;
  roles: string[];
}

/**
 * The caller as `me` answers it: straight from the principal the gateway signed for this request,
 * so it is exactly what the shield rules check (with ROLE_SOURCE=members the membership's role,
 * resolved by the gateway in the token's tenant), never a second lookup that could disagree.
 */
export function currentPrincipal(principal: Principal): CurrentPrincipal {
  return { subject: principal.subject, tenantId: principal.tenantId ?? null, roles: principal.roles.map((role) => role.toUpperCase()) };
}
