import type { DataSource } from 'typeorm';
import { recordInTenantLog, recordSecurityEvent } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';

/**
 * A tenant lifecycle change (provision, suspend, resume, limits, a region migration asked for) goes to the platform security log, and to
 * the tenant's own log so its admins see what the platform did to their tenant. Recorded after the
 * change: provisioning creates the schema (DDL, not transactional) before the tenant's log exists.
 */
export async function recordLifecycleEvent(
  db: DataSource,
  actor: Principal,
  tenantId: string,
  action: 'tenant.provision' | 'tenant.suspend' | 'tenant.resume' | 'tenant.limits' | 'tenant.tier' | 'tenant.region.migrate',
  details: Record<string, string | number | boolean | null> = {},
  outcome: 'SUCCESS' | 'DENIED' = 'SUCCESS',
): Promise<void> {
  const event = { action, targetType: 'Tenant', targetId: tenantId, outcome, details };
  await db.transaction((manager) => recordSecurityEvent(manager, actor, { ...event, tenantId }));
  await recordInTenantLog(db, tenantId, actor, event);
}
