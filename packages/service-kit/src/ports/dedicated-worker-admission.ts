import type { TenantRecord } from '@tessera/tenancy';

/**
 * Why a dedicated tenant's workers (`workers-dedicated-<tenant>`) may not act in a port call:
 * - `tenant-not-served`: the call names another tenant than the one their certificate names;
 * - `tenant-unknown`: their tenant is gone (erased, or never provisioned);
 * - `tenant-inactive`: their tenant is not ACTIVE (suspended, or still provisioning), refused as the
 *   shared pool's calls for such a tenant are (FORBIDDEN from the owner's scope);
 * - `tenant-not-dedicated`: their tenant is on the shared tier now, so the shared pool serves it.
 * The certificate names a tenant, not its state: a certificate of an earlier state (a pod left
 * running after a tier change, a stolen key) must stop acting once that state is over.
 */
export type DedicatedWorkerRefusal = 'tenant-not-served' | 'tenant-unknown' | 'tenant-inactive' | 'tenant-not-dedicated';

/** Undefined when the tenant's current record (from the owner's tenant directory) lets its dedicated workers act for it. */
export function dedicatedWorkerRefusal(tenant: Pick<TenantRecord, 'status' | 'tier'> | undefined): Exclude<DedicatedWorkerRefusal, 'tenant-not-served'> | undefined {
  if (!tenant) return 'tenant-unknown';
  if (tenant.status !== 'ACTIVE') return 'tenant-inactive';
  if (tenant.tier !== 'dedicated') return 'tenant-not-dedicated';
  return undefined;
}
