import type { Logger } from '@tessera/config';
import { poolName, type JobQueues } from '@tessera/job-queue';
import type { TenantStore } from '@tessera/tenancy';

/**
 * A tenant's record changed (announced by the tenants service): its queue is routed to the pool of
 * its current tier, read from the control plane itself (not a cache), so the jobs it has queued are
 * served by that pool without waiting for its next submit. Every jobs replica hears the
 * announcement and does the same; each step is idempotent. A tenant being provisioned or gone has
 * no queue to route.
 */
export async function placeTenantQueue(deps: { tenants: Pick<TenantStore, 'find'>; queues: JobQueues; logger: Logger }, tenantId: string): Promise<void> {
  const tenant = await deps.tenants.find(tenantId);
  if (!tenant || tenant.status === 'PROVISIONING') return;
  const placed = await deps.queues.place(tenant);
  if (placed.queued) deps.logger.info("tenant's queue routed to its tier's pool", { tenantId, pool: poolName(placed.pool) });
}
