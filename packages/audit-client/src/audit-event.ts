import type { EntityManager } from 'typeorm';
import type { Principal } from '@tessera/auth';
import { quoteIdentifier, tenantQueryable, tenantSchemaName } from '@tessera/tenancy';
import { outboxColumns, outboxValues } from './outbox-row';

export type AuditOutcome = 'SUCCESS' | 'DENIED' | 'FAILED';

export interface AuditEventInput {
  action: string;
  targetType: string;
  targetId?: string | null;
  outcome?: AuditOutcome;
  /** Small, non-secret facts (sizes, counts, version numbers) — never raw data or keys. */
  details?: Record<string, string | number | boolean | null>;
}

/**
 * Writes an audit event into the tenant's outbox (`audit_outbox`, in the tenant's schema) with
 * the caller's manager, so it commits or rolls back together with the change it describes: no
 * change without its audit record, and no audit record of a change that did not happen. The
 * relay (audit service, `drainAuditOutbox`) later moves it into the hash chain `audit_events`;
 * until then it waits in the outbox, safe, even if the audit service is down.
 */
export async function recordAuditEvent(manager: EntityManager, actor: Principal, event: AuditEventInput): Promise<void> {
  const values = outboxValues(actor, event, 'SUCCESS');
  await manager.query(`INSERT INTO audit_outbox (${outboxColumns}) VALUES (${values.map(() => '?').join(', ')})`, values);
}

/**
 * `recordAuditEvent` for a caller whose connection stays on the control plane (a process that
 * writes to many tenants' schemas, e.g. the usage-meter flush): the outbox is named by the
 * tenant's schema, built only from a validated tenant id. A tenant whose schema is on another server
 * (REGION_DATABASES) gets the event there, in a statement of its own: one transaction cannot span
 * two servers, and the event is written before the caller's commit, so a change is never made
 * without its record (a rollback after it leaves the record of an attempt).
 */
export async function recordTenantAuditEvent(manager: EntityManager, tenantId: string, actor: Principal, event: AuditEventInput): Promise<void> {
  const values = outboxValues(actor, event, 'SUCCESS');
  const table = `${quoteIdentifier(tenantSchemaName(tenantId))}.audit_outbox`;
  await (await tenantQueryable(manager, tenantId)).query(`INSERT INTO ${table} (${outboxColumns}) VALUES (${values.map(() => '?').join(', ')})`, values);
}
