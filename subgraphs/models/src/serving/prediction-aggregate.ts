import type { Principal } from '@tessera/auth';
import { recordAuditEvent } from '@tessera/audit-client';
import type { EntityManager } from 'typeorm';
import type { LoggedCall } from './prediction-log';

/** What the aggregate needs of one call (live, or replayed from the prediction log): the logged call with its principal resolved. */
export type AggregatedCall = Omit<LoggedCall, 'subject' | 'principal'> & { principal: Principal };

/** One `inference_stats` row's increments; `minSeq`/`maxSeq`: the log lines it holds. */
export interface StatsDelta {
  tenantId: string;
  modelId: string;
  versionId: string;
  minute: Date;
  calls: number;
  rows: number;
  errors: number;
  batchSizeSum: number;
  batchSizeMax: number;
  latencySum: number;
  latencyMax: number;
  le5: number;
  le25: number;
  le100: number;
  le500: number;
  minSeq: number;
  maxSeq: number;
}

/** One `model.predict` audit event: a principal's calls to a version in a minute. */
export interface AuditTally {
  principal: Principal;
  tenantId: string;
  modelId: string;
  versionId: string;
  minute: Date;
  calls: number;
  rows: number;
  errors: number;
  minSeq: number;
  maxSeq: number;
  /** Bytes of the live log's lines this tally holds (its audit is written last of them: see InferenceStatsRecorder). */
  bytes?: number;
}

export const minuteOf = (at: number) => new Date(Math.floor(at / 60_000) * 60_000);

/** Adds one call to the stats row and audit tally it belongs to; returns whether the tally is new. */
export function addCall(deltas: Map<string, StatsDelta>, tallies: Map<string, AuditTally> | undefined, call: AggregatedCall): boolean {
  const minute = minuteOf(call.at);
  const key = `${call.tenantId}|${call.versionId}|${minute.getTime()}`;
  let delta = deltas.get(key);
  if (!delta) {
    delta = {
      tenantId: call.tenantId,
      modelId: call.modelId,
      versionId: call.versionId,
      minute,
      calls: 0,
      rows: 0,
      errors: 0,
      batchSizeSum: 0,
      batchSizeMax: 0,
      latencySum: 0,
      latencyMax: 0,
      le5: 0,
      le25: 0,
      le100: 0,
      le500: 0,
      minSeq: call.seq,
      maxSeq: call.seq,
    };
    deltas.set(key, delta);
  }
  delta.calls += 1;
  delta.rows += call.rows;
  if (!call.ok) delta.errors += 1;
  delta.batchSizeSum += call.batchSize;
  delta.batchSizeMax = Math.max(delta.batchSizeMax, call.batchSize);
  delta.latencySum += call.latencyMs;
  delta.latencyMax = Math.max(delta.latencyMax, call.latencyMs);
  if (call.latencyMs <= 5) delta.le5 += 1;
  if (call.latencyMs <= 25) delta.le25 += 1;
  if (call.latencyMs <= 100) delta.le100 += 1;
  if (call.latencyMs <= 500) delta.le500 += 1;
  delta.minSeq = Math.min(delta.minSeq, call.seq);
  delta.maxSeq = Math.max(delta.maxSeq, call.seq);
  return tallies ? addToTally(tallies, key, minute, call) : false;
}

/** Adds a call to its audit tally only (replay: the call's stats may already be written). */
export function addToTally(tallies: Map<string, AuditTally>, key: string, minute: Date, call: AggregatedCall): boolean {
  const tallyKey = `${key}|${call.principal.subject}`;
  let tally = tallies.get(tallyKey);
  const created = !tally;
  if (!tally) {
    tally = { principal: call.principal, tenantId: call.tenantId, modelId: call.modelId, versionId: call.versionId, minute, calls: 0, rows: 0, errors: 0, minSeq: call.seq, maxSeq: call.seq };
    tallies.set(tallyKey, tally);
  }
  tally.calls += 1;
  tally.rows += call.rows;
  if (!call.ok) tally.errors += 1;
  tally.minSeq = Math.min(tally.minSeq, call.seq);
  tally.maxSeq = Math.max(tally.maxSeq, call.seq);
  return created;
}

export function mergeDelta(into: StatsDelta, from: StatsDelta): void {
  into.calls += from.calls;
  into.rows += from.rows;
  into.errors += from.errors;
  into.batchSizeSum += from.batchSizeSum;
  into.batchSizeMax = Math.max(into.batchSizeMax, from.batchSizeMax);
  into.latencySum += from.latencySum;
  into.latencyMax = Math.max(into.latencyMax, from.latencyMax);
  into.le5 += from.le5;
  into.le25 += from.le25;
  into.le100 += from.le100;
  into.le500 += from.le500;
  into.minSeq = Math.min(into.minSeq, from.minSeq);
  into.maxSeq = Math.max(into.maxSeq, from.maxSeq);
}

export function mergeTally(into: AuditTally, from: AuditTally): void {
  if (from.bytes) into.bytes = (into.bytes ?? 0) + from.bytes;
  into.calls += from.calls;
  into.rows += from.rows;
  into.errors += from.errors;
  into.minSeq = Math.min(into.minSeq, from.minSeq);
  into.maxSeq = Math.max(into.maxSeq, from.maxSeq);
}

/** How far a log is in one tenant's tables: its lines up to `statsSeq` are in the stats, up to `auditSeq` audited. */
export interface LogMark {
  statsSeq: number;
  auditSeq: number;
}

/** Locks the log's mark row of this tenant (or its gap), so two writers of one log take turns. */
export async function readMark(manager: EntityManager, logId: string): Promise<LogMark> {
  const rows = (await manager.query('SELECT stats_seq, audit_seq FROM prediction_log_marks WHERE log_id = ? FOR UPDATE', [logId])) as Array<{ stats_seq: string | number; audit_seq: string | number }>;
  return { statsSeq: Number(rows[0]?.stats_seq ?? 0), auditSeq: Number(rows[0]?.audit_seq ?? 0) };
}

/**
 * Writes stats increments and audit events of one tenant and moves the log's mark in the same
 * transaction: either all of it is in MySQL with the mark saying so, or none of it is.
 */
export async function writeAggregate(manager: EntityManager, logId: string | undefined, deltas: StatsDelta[], tallies: AuditTally[], mark: LogMark): Promise<void> {
  for (const d of deltas) {
    await manager.query(
      `INSERT INTO inference_stats
         (model_version_id, model_id, minute, calls, row_count, errors, batch_size_sum, batch_size_max,
          latency_ms_sum, latency_ms_max, latency_le_5ms, latency_le_25ms, latency_le_100ms, latency_le_500ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE
         calls = calls + VALUES(calls), row_count = row_count + VALUES(row_count), errors = errors + VALUES(errors),
         batch_size_sum = batch_size_sum + VALUES(batch_size_sum), batch_size_max = GREATEST(batch_size_max, VALUES(batch_size_max)),
         latency_ms_sum = latency_ms_sum + VALUES(latency_ms_sum), latency_ms_max = GREATEST(latency_ms_max, VALUES(latency_ms_max)),
         latency_le_5ms = latency_le_5ms + VALUES(latency_le_5ms), latency_le_25ms = latency_le_25ms + VALUES(latency_le_25ms),
         latency_le_100ms = latency_le_100ms + VALUES(latency_le_100ms), latency_le_500ms = latency_le_500ms + VALUES(latency_le_500ms)`,
      [d.versionId, d.modelId, d.minute, d.calls, d.rows, d.errors, d.batchSizeSum, d.batchSizeMax, d.latencySum, d.latencyMax, d.le5, d.le25, d.le100, d.le500],
    );
  }
  for (const t of tallies) {
    await recordAuditEvent(manager, t.principal, {
      action: 'model.predict',
      targetType: 'ModelVersion',
      targetId: t.versionId,
      details: { modelId: t.modelId, minute: t.minute.toISOString(), calls: t.calls, rows: t.rows, errors: t.errors, aggregated: true },
    });
  }
  if (logId === undefined) return;
  await manager.query(
    `INSERT INTO prediction_log_marks (log_id, stats_seq, audit_seq, updated_at) VALUES (?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE stats_seq = GREATEST(stats_seq, VALUES(stats_seq)), audit_seq = GREATEST(audit_seq, VALUES(audit_seq)), updated_at = VALUES(updated_at)`,
    [logId, mark.statsSeq, mark.auditSeq, new Date()],
  );
}
