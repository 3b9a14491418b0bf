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
