import { errors } from '@tessera/errors';
import type { Principal } from './principal';
import type { TenantRole } from './roles';

/**
 * What each intent needs; shield rules and provider assertions read the same table.
 * - `read`: the tenant's data — dataset contents, predictions, jobs, metrics (and everything `inspect` gives);
 * - `inspect`: metadata only (names, versions, sizes, column types, model signatures): what an
 *   auditor needs to understand the audit trail, no contents;
 * - `audit`: read the audit trail, checkpoints, alerts, access reports and reviews, export it;
 * - `write`, `administer`: change things.
 */
export const permissionRoles = {
  read: ['admin', 'data_scientist', 'viewer'],
  inspect: ['admin', 'data_scientist', 'viewer', 'auditor'],
  audit: ['admin', 'auditor'],
  write: ['admin', 'data_scientist'],
  administer: ['admin'],
} as const satisfies Record<string, readonly TenantRole[]>;

export type Permission = keyof typeof permissionRoles;

/**
 * Providers start with this, so a path that skips the GraphQL layer (an HTTP upload route,
 * a job) still cannot act beyond the caller's role.
 */
export function assertPermission(principal: Principal, permission: Permission): void {
  const allowed: readonly string[] = permissionRoles[permission];
  if (!principal.tenantId || !principal.roles.some((role) => allowed.includes(role))) {
    throw errors.forbidden(`This operation needs one of the roles: ${allowed.join(', ')}.`);
  }
}
