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

/**
 * Why the shared pool (the `workers` identity, SERVICE_KEY-signed) may not act for a tenant:
 * `tenant-dedicated`, the tenant is on the dedicated tier, so its data is processed by its own
 * workers only — the symmetric rule to `tenant-not-dedicated`. A tenant moved to the dedicated tier
 * while the shared pool runs one of its jobs stops that run at its next call (see job-runner.ts).
 */
export type SharedPoolRefusal = 'tenant-dedicated';

/** Undefined unless the tenant's current record puts it on the dedicated tier (an unknown or inactive tenant is the owner's scope's to refuse). */
export function sharedPoolRefusal(tenant: Pick<TenantRecord, 'tier'> | undefined): SharedPoolRefusal | undefined {
  return tenant?.tier === 'dedicated' ? 'tenant-dedicated' : undefined;
}

/**
 * Why a worker (shared pool or dedicated) may not act for a tenant in its region's stead:
 * `tenant-other-region`, the tenant's current region is not the one the worker's certificate names
 * (or the certificate names none). A tenant's jobs run only on workers of its region; the rings and
 * each worker's own check keep honest workers there, this keeps a worker of another region — its
 * certificate and SERVICE_KEY stolen, or a pod left running after the tenant moved — from claiming
 * or reading the tenant's jobs.
 */
export type WorkerRegionRefusal = 'tenant-other-region';

/** Undefined when the worker's region is the tenant's current one (an unknown tenant is the owner's scope's to refuse). */
export function workerRegionRefusal(tenant: Pick<TenantRecord, 'region'> | undefined, workerRegion: string | undefined): WorkerRegionRefusal | undefined {
  if (!tenant) return undefined;
  return workerRegion !== undefined && tenant.region === workerRegion ? undefined : 'tenant-other-region';
}

/** Every reason a port endpoint refuses a worker's call for the tenant it names. */
export type WorkerTenantRefusal = DedicatedWorkerRefusal | SharedPoolRefusal | WorkerRegionRefusal;
