import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { Principal } from '@tessera/auth';
import type { AuditEventInput, AuditOutcome } from './audit-event';
import { eventColumns } from './chain-canonical';

/** Every event column but `written_by`, which the server sets and no writer may (chain-canonical.ts). */
export const writableOutboxColumns: readonly string[] = eventColumns.filter((column) => column !== 'written_by');
export const outboxColumns = writableOutboxColumns.join(', ');

/**
 * The values every outbox row (a tenant's `audit_outbox`, the platform's `security_outbox`)
 * holds for an event, in the order of `outboxColumns`: who (from the verified principal), what,
 * the outcome, the request and trace ids, the source address and the details. Not which account
 * wrote it: `written_by` is the server's (its default, CURRENT_USER()), and no writer may set it.
 */
export function outboxValues(actor: Principal, event: AuditEventInput, defaultOutcome: AuditOutcome): unknown[] {
  return [
    randomUUID(),
    new Date(),
    actor.subject,
    actor.roles.join(','),
    actor.clientId ?? null,
    event.action,
    event.targetType,
    event.targetId ?? null,
    event.outcome ?? defaultOutcome,
    actor.requestId,
    trace.getActiveSpan()?.spanContext().traceId ?? null,
    actor.sourceIp ?? null,
    JSON.stringify(event.details ?? {}),
  ];
}
