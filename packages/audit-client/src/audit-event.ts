import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { EntityManager } from 'typeorm';
import type { Principal } from '@tessera/auth';

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
  const traceId = trace.getActiveSpan()?.spanContext().traceId;
  await manager.query(
    `INSERT INTO audit_outbox
       (id, occurred_at, actor_subject, actor_roles, actor_client, action, target_type, target_id, outcome, request_id, trace_id, source_ip, details_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      randomUUID(),
      new Date(),
      actor.subject,
      actor.roles.join(','),
      actor.clientId ?? null,
      event.action,
      event.targetType,
      event.targetId ?? null,
      event.outcome ?? 'SUCCESS',
      actor.requestId,
      traceId ?? null,
      actor.sourceIp ?? null,
      JSON.stringify(event.details ?? {}),
    ],
  );
}
