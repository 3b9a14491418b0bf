import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { recordInTenantLog, recordSecurityEvent } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { KeyEvent } from '@tessera/tenancy';

/**
 * Key events (data-key rotation) in both logs: the platform security log and the tenant's own.
 * The keyring has no request principal; the actor is the platform's key management.
 */
export function keyEventRecorder(db: DataSource) {
  return async (tenantId: string, event: KeyEvent): Promise<void> => {
    const actor: Principal = { kind: 'user', subject: 'system:keyring', tenantId, roles: [], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
    const audit = { action: event.action, targetType: 'DataKey', targetId: `v${event.version}`, outcome: 'SUCCESS' as const, details: { version: event.version } };
    await db.transaction((manager) => recordSecurityEvent(manager, actor, { ...audit, tenantId }));
    await recordInTenantLog(db, tenantId, actor, audit);
  };
}
