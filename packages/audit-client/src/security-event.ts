import type { DataSource, EntityManager } from 'typeorm';
import type { Principal } from '@tessera/auth';
import { controlPlaneQueryable, quoteIdentifier } from '@tessera/tenancy';
import type { AuditOutcome } from './audit-event';
import { eventColumns } from './chain-canonical';
import { relayChain, type ChainLocation, type RelayOptions } from './chain-relay';
import { outboxColumns, outboxValues } from './outbox-row';
import { controlTable } from './resource-owner';

export interface SecurityEventInput {
  /** The tenant the event concerns (the caller's), or null for a platform-level event. */
  tenantId: string | null;
  action: string;
  targetType: string;
  targetId?: string | null;
  outcome?: AuditOutcome;
  /** Small, non-secret facts — never raw data or keys. */
  details?: Record<string, string | number | boolean | null>;
}

export const securityEventColumns = [...eventColumns, 'tenant_id'] as const;

/** The platform security log: `security_outbox` → `security_events`, in the control plane. */
export function securityChain(controlSchema: string): ChainLocation {
  const schema = quoteIdentifier(controlSchema);
  return { chainId: 'platform', outboxTable: `${schema}.security_outbox`, eventsTable: `${schema}.security_events`, columns: securityEventColumns };
}

/**
 * Writes an event of the platform security log (control plane) with the caller's manager, in the
 * caller's transaction — which may be a tenant-schema transaction: the table is named in full.
 * Relayed into the chained `security_events` like a tenant's audit trail. From a transaction on a
 * region server (REGION_DATABASES) it is written on the home server, in a statement of its own.
 */
export async function recordSecurityEvent(manager: EntityManager, actor: Principal, event: SecurityEventInput): Promise<void> {
  const values = [...outboxValues(actor, event, 'DENIED'), event.tenantId];
  await controlPlaneQueryable(manager).query(`INSERT INTO ${controlTable(manager, 'security_outbox')} (${outboxColumns}, tenant_id) VALUES (${values.map(() => '?').join(', ')})`, values);
}

/** Chains the platform security log's outbox (see drainAuditOutbox). */
export function drainSecurityOutbox(db: DataSource, controlSchema: string, options: RelayOptions = {}): Promise<number> {
  return relayChain(db, securityChain(controlSchema), { waitForLockSeconds: 30, ...options });
}
