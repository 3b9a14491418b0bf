/**
 * Tenant roles (per tenant) and the one platform role that manages tenants themselves. `auditor`
 * is not a rung below `viewer`: it reads the audit trail and the metadata needed to understand it,
 * but no data (no previews, predictions or downloads) and changes nothing.
 */
export const tenantRoles = ['admin', 'data_scientist', 'viewer', 'auditor'] as const;
export const platformRoles = ['platform_admin'] as const;
export const allRoles = [...tenantRoles, ...platformRoles] as const;

export type TenantRole = (typeof tenantRoles)[number];
export type PlatformRole = (typeof platformRoles)[number];
export type Role = (typeof allRoles)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (allRoles as readonly string[]).includes(value);
}

/** Keeps only the roles the platform knows; an IdP may put many unrelated roles in a token. */
export function parseRoles(value: unknown): Role[] {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  return [...new Set(list.filter(isRole))];
}
