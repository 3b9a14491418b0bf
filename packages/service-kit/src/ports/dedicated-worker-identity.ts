import { isTenantId } from '@tessera/tenancy';

/**
 * A dedicated-tier tenant's workers have an identity of their own: certificate CN (and DNS SAN)
 * `workers-dedicated-<tenant>`, naming their ring `dedicated-<tenant>`. The owners of the ports the
 * workers call admit it as the `workers` service, but only for that one tenant's jobs, so a
 * compromised dedicated worker cannot claim, advance, finish or read another tenant's job, nor pass
 * for the shared pool.
 */
const prefix = 'workers-dedicated-';

export function dedicatedWorkerIdentity(tenantId: string): string {
  if (!isTenantId(tenantId)) throw new Error(`not a tenant id: ${tenantId}`);
  return `${prefix}${tenantId}`;
}

/** The tenant a dedicated worker's identity is confined to; undefined for every other identity. */
export function dedicatedWorkerTenantOf(identity: string): string | undefined {
  if (!identity.startsWith(prefix)) return undefined;
  const tenantId = identity.slice(prefix.length);
  return isTenantId(tenantId) ? tenantId : undefined;
}

/** The service an identity calls as: a dedicated worker's is `workers`; any other identity is its own. */
export function serviceOfIdentity(identity: string): string {
  return dedicatedWorkerTenantOf(identity) ? 'workers' : identity;
}
