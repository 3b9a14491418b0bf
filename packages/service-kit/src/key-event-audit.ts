import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { recordInTenantLog, recordSecurityEvent } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { KeyEvent } from '@tessera/tenancy';

/**
 * Data-key events (create, rotate, rewrap, destroy) in both logs: the platform security log and
 * the tenant's own, except `key.destroy`, which erasure records in the security log alone (the
 * tenant's log is erased with the tenant). The keyring has no request principal; the actor is the
 * platform's key management.
 */
export function keyEventRecorder(db: DataSource) {
  return async (tenantId: string, event: KeyEvent): Promise<void> => {
    const actor: Principal = { kind: 'user', subject: event.actor ?? 'system:keyring', tenantId, roles: [], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    const details: Record<string, number | string | null> = { version: event.version, kekVersion: event.kekVersion ?? null };
    if (event.fromKekVersion !== undefined) details['fromKekVersion'] = event.fromKekVersion;
    if (event.reason !== undefined) details['reason'] = event.reason;
    const audit = { action: event.action, targetType: 'DataKey', targetId: `v${event.version}`, outcome: 'SUCCESS' as const, details };
    await db.transaction((manager) => recordSecurityEvent(manager, actor, { ...audit, tenantId }));
    // An erased tenant's log is gone with it; a single version destroyed on request is the tenant's to see.
    if (event.action !== 'key.destroy' || event.reason === 'requested') await recordInTenantLog(db, tenantId, actor, audit);
  };
}
