import type { EntityManager } from 'typeorm';
import type { TenantRowQuestion } from '@tessera/tenancy';
import type { SeriesModelState } from '../domain/anomaly-model';
import type { AnomalyMetric } from '../domain/anomaly-series';

export interface SeriesState extends SeriesModelState {
  metric: AnomalyMetric;
  /** Buckets before this instant have been judged. Null: the series has not started. */
  evaluatedUntil: Date | null;
}

export interface Anomaly {
  id: string;
  metric: AnomalyMetric;
  windowStart: Date;
  windowEnd: Date;
  observed: number;
  expected: number;
  deviation: number;
  score: number;
  threshold: number;
  summary: string;
  detectedAt: Date;
}

function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(`${String(value).replace(' ', 'T')}Z`);
}

/** Asked of many tenants at once: has any of the tenant's series started (judged a bucket)? */
export const startedSeriesQuestion: TenantRowQuestion = { from: (schema) => `${schema}.anomaly_detector_state WHERE evaluated_until IS NOT NULL` };

/**
 * The states of `metrics`, created when missing and locked FOR UPDATE for the caller's
 * transaction: two detectors (replicas, or the sweep and a query) never judge the same bucket.
 */
export async function lockSeriesStates(manager: EntityManager, metrics: readonly AnomalyMetric[], now: Date): Promise<Map<AnomalyMetric, SeriesState>> {
  await manager.query(`INSERT IGNORE INTO anomaly_detector_state (metric, updated_at) VALUES ${metrics.map(() => '(?, ?)').join(', ')}`, metrics.flatMap((m) => [m, now]));
  const rows = (await manager.query(
    `SELECT metric, mean, variance, observations, evaluated_until FROM anomaly_detector_state WHERE metric IN (${metrics.map(() => '?').join(', ')}) ORDER BY metric FOR UPDATE`,
    [...metrics],
  )) as Array<{ metric: string; mean: number; variance: number; observations: number; evaluated_until: unknown }>;
  return new Map(
    rows.map((r) => [
      r.metric as AnomalyMetric,
      {
        metric: r.metric as AnomalyMetric,
        mean: Number(r.mean),
        variance: Number(r.variance),
        observations: Number(r.observations),
        evaluatedUntil: r.evaluated_until === null || r.evaluated_until === undefined ? null : toDate(r.evaluated_until),
      },
    ]),
  );
}

export async function saveSeriesState(manager: EntityManager, state: SeriesState, now: Date): Promise<void> {
  await manager.query('UPDATE anomaly_detector_state SET mean = ?, variance = ?, observations = ?, evaluated_until = ?, updated_at = ? WHERE metric = ?', [
    state.mean,
    state.variance,
    state.observations,
    state.evaluatedUntil,
    now,
    state.metric,
  ]);
}

/** True when inserted; a bucket already flagged (same metric and window) is not flagged again. */
export async function insertAnomaly(manager: EntityManager, anomaly: Anomaly): Promise<boolean> {
  const result = (await manager.query(
    `INSERT IGNORE INTO anomalies (id, metric, window_start, window_end, observed, expected, deviation, score, threshold, summary, detected_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      anomaly.id,
      anomaly.metric,
      anomaly.windowStart,
      anomaly.windowEnd,
      anomaly.observed,
      anomaly.expected,
      anomaly.deviation,
      anomaly.score,
      anomaly.threshold,
      anomaly.summary,
      anomaly.detectedAt,
    ],
  )) as { affectedRows?: number };
  return (result.affectedRows ?? 0) > 0;
}

/** Anomalies whose window starts in [from, to], newest first. */
export async function listAnomalies(manager: EntityManager, from: Date, to: Date, metric: AnomalyMetric | undefined, limit: number): Promise<Anomaly[]> {
  const rows = (await manager.query(
    `SELECT * FROM anomalies WHERE window_start >= ? AND window_start <= ?${metric ? ' AND metric = ?' : ''} ORDER BY window_start DESC, metric LIMIT ?`,
    metric ? [from, to, metric, limit] : [from, to, limit],
  )) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    id: String(r['id']),
    metric: String(r['metric']) as AnomalyMetric,
    windowStart: toDate(r['window_start']),
    windowEnd: toDate(r['window_end']),
    observed: Number(r['observed']),
    expected: Number(r['expected']),
    deviation: Number(r['deviation']),
    score: Number(r['score']),
    threshold: Number(r['threshold']),
    summary: String(r['summary']),
    detectedAt: toDate(r['detected_at']),
  }));
}
