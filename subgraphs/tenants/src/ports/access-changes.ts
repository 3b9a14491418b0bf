import { isTenantId } from '@tessera/tenancy';

/**
 * The Redis channel on which the tenants service announces that a tenant's memberships or keys
 * changed; every gateway replica drops what it cached for that tenant. One channel for all tenants:
 * the gateway needs every tenant's changes, and the ACL then names one channel, not a pattern.
 */
export function accessChangesChannel(keyPrefix: string): string {
  return `${keyPrefix}:access:changed`;
}

export interface AccessChange {
  tenantId: string;
}

export function parseAccessChange(message: string): AccessChange | undefined {
  try {
    const value = JSON.parse(message) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as { tenantId?: unknown }).tenantId === 'string') return { tenantId: (value as { tenantId: string }).tenantId };
  } catch {
    // not ours: ignored
  }
  return undefined;
}

/** The tenants service in Tessera's service catalogue: the only one whose answers may carry accessChangedHeader. */
export const accessServiceName = 'tenants';

/**
 * The tenants service's answer to a request that changed memberships or keys names the tenants
 * here (comma-separated). The gateway that carried the request forgets them before it passes the
 * answer on, so the change holds on the caller's next request through that gateway even when the
 * Redis announcement reaches it later (Redis may answer the publisher before it writes to the
 * subscribers, and a loaded host can run the gateway in between).
 */
export const accessChangedHeader = 'x-tessera-access-changed';

/** The tenant ids of an accessChangedHeader value; anything that is not a tenant id is dropped. */
export function parseAccessChangedHeader(value: string | null | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((id) => id.trim())
    .filter(isTenantId);
}
