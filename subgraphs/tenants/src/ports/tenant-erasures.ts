/**
 * The Redis channel on which the tenants service announces that a tenant is being erased: every
 * models replica drops the tenant's inference pools (their processes and cached ONNX sessions),
 * its cached model files and unwrapped keys. One channel for all tenants, like access changes.
 */
export function tenantErasedChannel(keyPrefix: string): string {
  return `${keyPrefix}:tenants:erased`;
}

export interface TenantErased {
  tenantId: string;
}

export function parseTenantErased(message: string): TenantErased | undefined {
  try {
    const value = JSON.parse(message) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as { tenantId?: unknown }).tenantId === 'string') return { tenantId: (value as { tenantId: string }).tenantId };
  } catch {
    // not ours: ignored
  }
  return undefined;
}
