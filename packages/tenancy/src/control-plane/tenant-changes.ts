import { isTenantId } from '../tenant-id';

/**
 * The Redis channel on which the tenants service announces that a tenant's control-plane record
 * changed (tier, status, limits) once the change has committed: every process that caches tenant
 * records (TenantDirectory) drops that tenant's entry, so the change bites at once instead of after
 * TENANT_CACHE_TTL_MS. One channel for every tenant, like access changes: each listener needs them
 * all, and the ACL then names one channel. The message names the tenant and nothing else; a
 * listener reads the record itself from the control plane.
 */
export function tenantChangedChannel(keyPrefix: string): string {
  return `${keyPrefix}:tenants:changed`;
}

/**
 * The same announcement on a channel of the tenant's own, for a listener that serves one tenant
 * only (a dedicated-tier tenant's workers): its Redis user is given this channel, not the shared
 * one, so it never learns which other tenants exist or change.
 */
export function oneTenantChangedChannel(keyPrefix: string, tenantId: string): string {
  return `${tenantChangedChannel(keyPrefix)}:${tenantId}`;
}

export interface TenantChanged {
  tenantId: string;
}

/** The announcement's tenant, or undefined for anything that is not one (ignored). */
export function parseTenantChanged(message: string): TenantChanged | undefined {
  try {
    const value = JSON.parse(message) as unknown;
    const tenantId = typeof value === 'object' && value !== null ? (value as { tenantId?: unknown }).tenantId : undefined;
    if (typeof tenantId === 'string' && isTenantId(tenantId)) return { tenantId };
  } catch {
    // not ours: ignored
  }
  return undefined;
}
