import type { EntityManager } from 'typeorm';
import { attachChainDetails, type ChainDetailsStore } from '@tessera/audit-client';
import type { AuditPagePosition } from '../domain/audit-event-cursor';
import type { AuditEventFilter } from '../domain/audit-event-filter';
import type { AuditEvent } from './audit-event.entity';
import { exactEquals } from './exact-text';

interface AuditEventRow {
  seq: number | string;
  id: string;
  occurred_at: Date;
  actor_subject: string;
  actor_roles: string;
  actor_client: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  outcome: string;
  request_id: string | null;
  trace_id: string | null;
  source_ip: string | null;
  details_json: unknown;
  written_by: string | null;
  [chainColumn: string]: unknown;
}

export const auditEventColumns =
  'seq, id, occurred_at, actor_subject, actor_roles, actor_client, action, target_type, target_id, outcome, request_id, trace_id, source_ip, details_json, written_by';

/** After attachChainDetails: `details_json` holds the effective (opened) details. */
export function toAuditEvent(row: AuditEventRow, detailsError?: unknown): AuditEvent {
  const details = typeof row.details_json === 'string' ? (JSON.parse(row.details_json) as Record<string, unknown>) : ((row.details_json ?? {}) as Record<string, unknown>);
  return {
    seq: Number(row.seq),
    id: row.id,
    createdAt: new Date(row.occurred_at),
    actorSubject: row.actor_subject,
    actorRoles: row.actor_roles,
    actorClient: row.actor_client,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    outcome: row.outcome as AuditEvent['outcome'],
    requestId: row.request_id,
    traceId: row.trace_id,
    sourceIp: row.source_ip,
    details,
    writtenBy: row.written_by ?? null,
    ...(detailsError !== undefined ? { detailsError } : {}),
  };
}

/** `WHERE` clauses for a filter; values are placeholders only (the filter comes from clients). */
export function filterClauses(filter: AuditEventFilter): { sql: string[]; params: unknown[] } {
  const sql: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    sql.push(clause);
    params.push(value);
  };
  // Subjects and target ids are compared byte for byte (exact-text.ts); both values bound.
  const addExact = (column: string, value: string) => {
    sql.push(exactEquals(column));
    params.push(value, value);
  };
  if (filter.actor !== undefined) addExact('actor_subject', filter.actor);
  if (filter.action !== undefined) add('action = ?', filter.action);
  if (filter.targetType !== undefined) add('target_type = ?', filter.targetType);
  if (filter.targetId !== undefined) addExact('target_id', filter.targetId);
  if (filter.outcome !== undefined) add('outcome = ?', filter.outcome);
  if (filter.from !== undefined) add('occurred_at >= ?', filter.from);
  if (filter.to !== undefined) add('occurred_at <= ?', filter.to);
  return { sql, params };
}

/**
 * One keyset page of the tenant's chain, oldest first by time then sequence; `limit + 1` rows so the
 * caller knows if more follow. With the tenant 0007 keys `(filter column…, occurred_at, seq)` (and
 * the InnoDB primary-key suffix of `(occurred_at)` / `(action, occurred_at)`) every filter is one
 * in-order index range read, never a walk of the primary key. The redundant `occurred_at >= ?`
 * beside the tuple comparison gives the optimizer a plain range bound for the cursor.
 */
export async function findAuditEventPage(manager: EntityManager, details: ChainDetailsStore, filter: AuditEventFilter, after: AuditPagePosition | undefined, limit: number): Promise<AuditEvent[]> {
  const { sql, params } = filterClauses(filter);
  if (after !== undefined) {
    sql.push('occurred_at >= ?', '(occurred_at > ? OR (occurred_at = ? AND seq > ?))');
    params.push(after.occurredAt, after.occurredAt, after.occurredAt, after.seq);
  }
  const where = sql.length ? `WHERE ${sql.join(' AND ')}` : '';
  const rows = (await manager.query(`SELECT ${auditEventColumns} FROM audit_events ${where} ORDER BY occurred_at ASC, seq ASC LIMIT ?`, [...params, limit + 1])) as AuditEventRow[];
  // Filters never look into details (sealed): every filter is on a clear column, in SQL, as before.
  const failures = await attachChainDetails((sql, values) => manager.query(sql, values), details, rows);
  return rows.map((row) => toAuditEvent(row, failures.get(Number(row.seq))));
}

/** Events after `afterSeq`, oldest first, with every column (the chain's hash columns included). */
export async function findAuditEventsAfter(manager: EntityManager, details: ChainDetailsStore, afterSeq: number, limit: number): Promise<Array<AuditEvent & { raw: Record<string, unknown> }>> {
  const rows = (await manager.query('SELECT * FROM audit_events WHERE seq > ? ORDER BY seq ASC LIMIT ?', [afterSeq, limit])) as AuditEventRow[];
  const failures = await attachChainDetails((sql, values) => manager.query(sql, values), details, rows);
  return rows.map((row) => ({ ...toAuditEvent(row, failures.get(Number(row.seq))), raw: row }));
}
