import type { EntityManager } from 'typeorm';
import { attachChainDetails, recordResourceOwner, type ChainDetailsStore } from '@tessera/audit-client';
import type { AlertRuleKind, EvaluatedEvent } from '../domain/alert-rules';

export type AlertStatus = 'OPEN' | 'ACKNOWLEDGED';

export interface Alert {
  id: string;
  rule: AlertRuleKind;
  status: AlertStatus;
  threshold: number;
  observed: number;
  windowStart: Date;
  windowEnd: Date;
  firstSeq: number;
  lastSeq: number;
  summary: string;
  createdAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
}

interface AlertRow {
  id: string;
  rule_kind: string;
  status: string;
  threshold: number;
  observed: number;
  window_start: Date;
  window_end: Date;
  first_seq: number | string;
  last_seq: number | string;
  summary: string;
  created_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
}

function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    rule: row.rule_kind as AlertRuleKind,
    status: row.status as AlertStatus,
    threshold: Number(row.threshold),
    observed: Number(row.observed),
    windowStart: new Date(row.window_start),
    windowEnd: new Date(row.window_end),
    firstSeq: Number(row.first_seq),
    lastSeq: Number(row.last_seq),
    summary: row.summary,
    createdAt: new Date(row.created_at),
    acknowledgedAt: row.acknowledged_at ? new Date(row.acknowledged_at) : null,
    acknowledgedBy: row.acknowledged_by,
  };
}

export async function listAlerts(manager: EntityManager, status: AlertStatus | undefined, limit: number): Promise<Alert[]> {
  const rows = (await manager.query(
    `SELECT * FROM alerts ${status ? 'WHERE status = ?' : ''} ORDER BY created_at DESC, id DESC LIMIT ?`,
    status ? [status, limit] : [limit],
  )) as AlertRow[];
  return rows.map(toAlert);
}

export async function findAlert(manager: EntityManager, id: string, lock = false): Promise<Alert | undefined> {
  const rows = (await manager.query(`SELECT * FROM alerts WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id])) as AlertRow[];
  return rows[0] ? toAlert(rows[0]) : undefined;
}

export async function acknowledge(manager: EntityManager, id: string, by: string, at: Date): Promise<void> {
  await manager.query("UPDATE alerts SET status = 'ACKNOWLEDGED', acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND status = 'OPEN'", [at, by, id]);
}

/** What an alert id is indexed as in `resource_owners`, and the NOT_FOUND's kind. */
export const alertTargetType = 'Alert';

/**
 * Inserts unless an alert with the same dedup key exists (a re-evaluation of the same events); true
 * when inserted. Its id is indexed as the tenant's (`resource_owners`), so another tenant's
 * `acknowledgeAlert` with it is recorded as a cross-tenant attempt like any other id.
 */
export async function insertAlert(manager: EntityManager, tenantId: string, alert: Alert, dedupKey: string): Promise<boolean> {
  const result = (await manager.query(
    `INSERT IGNORE INTO alerts (id, rule_kind, status, threshold, observed, window_start, window_end, first_seq, last_seq, summary, dedup_key, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [alert.id, alert.rule, alert.status, alert.threshold, alert.observed, alert.windowStart, alert.windowEnd, alert.firstSeq, alert.lastSeq, alert.summary, dedupKey, alert.createdAt],
  )) as { affectedRows?: number };
  if ((result.affectedRows ?? 0) === 0) return false;
  await recordResourceOwner(manager, tenantId, alertTargetType, alert.id);
  return true;
}

export async function lastFiringOf(manager: EntityManager, kind: AlertRuleKind): Promise<Date | null> {
  const [row] = (await manager.query('SELECT MAX(window_end) AS at FROM alerts WHERE rule_kind = ?', [kind])) as Array<{ at: Date | null }>;
  return row?.at ? new Date(row.at) : null;
}

export async function listRuleOverrides(manager: EntityManager): Promise<Array<{ kind: string; threshold: number; enabled: boolean }>> {
  const rows = (await manager.query('SELECT kind, threshold, enabled FROM alert_rules')) as Array<{ kind: string; threshold: number; enabled: number }>;
  return rows.map((r) => ({ kind: r.kind, threshold: Number(r.threshold), enabled: Boolean(r.enabled) }));
}

export async function upsertRuleOverride(manager: EntityManager, rule: { kind: string; threshold: number; enabled: boolean }, by: string): Promise<void> {
  await manager.query(
    `INSERT INTO alert_rules (kind, threshold, enabled, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE threshold = VALUES(threshold), enabled = VALUES(enabled), updated_by = VALUES(updated_by), updated_at = VALUES(updated_at)`,
    [rule.kind, rule.threshold, rule.enabled ? 1 : 0, by, new Date()],
  );
}

/** The evaluator's watermark, locked for the evaluation's transaction. */
export async function lockWatermark(manager: EntityManager): Promise<number> {
  await manager.query('INSERT IGNORE INTO alert_evaluation_state (id, last_seq, updated_at) VALUES (1, 0, ?)', [new Date()]);
  const [row] = (await manager.query('SELECT last_seq FROM alert_evaluation_state WHERE id = 1 FOR UPDATE')) as Array<{ last_seq: number | string }>;
  return Number(row?.last_seq ?? 0);
}

export async function saveWatermark(manager: EntityManager, seq: number): Promise<void> {
  await manager.query('UPDATE alert_evaluation_state SET last_seq = ?, updated_at = ? WHERE id = 1', [seq, new Date()]);
}

interface EvaluatedRow {
  seq: number | string;
  occurred_at: Date;
  action: string;
  details_json: unknown;
  written_by: string | null;
}

function toEvaluated(row: EvaluatedRow): EvaluatedEvent {
  const details = typeof row.details_json === 'string' ? (JSON.parse(row.details_json) as Record<string, unknown>) : ((row.details_json ?? {}) as Record<string, unknown>);
  return { seq: Number(row.seq), occurredAt: new Date(row.occurred_at), action: row.action, details, writtenBy: row.written_by ?? null };
}

/** Details of rows whose sealed value does not open count as a marker (no weight): alerting goes on. */
const withDetails = async <Row extends { seq: number | string; details_json: unknown }>(manager: EntityManager, details: ChainDetailsStore, rows: Row[]): Promise<Row[]> => {
  await attachChainDetails((sql, values) => manager.query(sql, values), details, rows as unknown as Array<Record<string, unknown>>);
  return rows;
};

export async function eventsAfter(manager: EntityManager, details: ChainDetailsStore, seq: number, limit: number): Promise<EvaluatedEvent[]> {
  const rows = (await manager.query('SELECT seq, occurred_at, action, details_json, written_by FROM audit_events WHERE seq > ? ORDER BY seq ASC LIMIT ?', [seq, limit])) as EvaluatedRow[];
  return (await withDetails(manager, details, rows)).map(toEvaluated);
}

/** Already-evaluated events from `since` on: the part of the sliding window that precedes the new events. */
export async function eventsBetween(manager: EntityManager, details: ChainDetailsStore, since: Date, uptoSeq: number, limit: number): Promise<EvaluatedEvent[]> {
  const rows = (await manager.query('SELECT seq, occurred_at, action, details_json, written_by FROM audit_events WHERE occurred_at > ? AND seq <= ? ORDER BY seq ASC LIMIT ?', [
    since,
    uptoSeq,
    limit,
  ])) as EvaluatedRow[];
  return (await withDetails(manager, details, rows)).map(toEvaluated);
}
