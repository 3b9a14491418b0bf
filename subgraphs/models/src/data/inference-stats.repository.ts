import type { EntityManager } from 'typeorm';
import { TesseraError } from '@tessera/errors';
import { maxInferenceReadSeconds, type InferenceMinuteStats } from '../ports/models-port';

/**
 * Reads of `inference_stats` (one row per model version per minute, upserted by the serving
 * process), for the models port: per-minute sums, never the rows themselves.
 */

/** Seconds since the epoch of a DATETIME, independent of the session's time zone. */
const epochSeconds = (column: string) => `TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ${column})`;

const isoOfEpochSeconds = (value: unknown) => new Date(Number(value) * 1000).toISOString();

/** A model version's numbers in one minute, as the models port answers them (the version number is added there). */
export type ModelMinuteRow = Omit<InferenceMinuteStats, 'versionNumber'>;

/**
 * One model's minutes starting in [from, to], each version's numbers on its own: the first `limit`
 * rows by minute. Per hour, a version's minutes of each hour are added up in the database (sums,
 * maxima and the cumulative latency buckets all add up), so an hour is one row whatever its calls.
 */
export async function readModelMinutes(
  manager: EntityManager,
  modelId: string,
  from: Date,
  to: Date,
  limit: number,
  granularity: 'MINUTE' | 'HOUR' = 'MINUTE',
  readSeconds: number = maxInferenceReadSeconds,
): Promise<ModelMinuteRow[]> {
  const columns = 'calls, row_count, errors, batch_size_sum, batch_size_max, latency_ms_sum, latency_ms_max, latency_le_5ms, latency_le_25ms, latency_le_100ms, latency_le_500ms';
  const hourly = `SELECT ${epochSeconds('minute')} DIV 3600 * 3600 AS s, model_version_id,
            SUM(calls) AS calls, SUM(row_count) AS row_count, SUM(errors) AS errors, SUM(batch_size_sum) AS batch_size_sum,
            MAX(batch_size_max) AS batch_size_max, SUM(latency_ms_sum) AS latency_ms_sum, MAX(latency_ms_max) AS latency_ms_max,
            SUM(latency_le_5ms) AS latency_le_5ms, SUM(latency_le_25ms) AS latency_le_25ms,
            SUM(latency_le_100ms) AS latency_le_100ms, SUM(latency_le_500ms) AS latency_le_500ms
       FROM inference_stats
      WHERE model_id = ? AND minute >= ? AND minute <= ?
      GROUP BY s, model_version_id
      ORDER BY s LIMIT ?`;
  const perMinute = `SELECT ${epochSeconds('minute')} AS s, model_version_id, ${columns}
       FROM inference_stats
      WHERE model_id = ? AND minute >= ? AND minute <= ?
      ORDER BY minute LIMIT ?`;
  const rows = (await cappedQuery(manager, granularity === 'HOUR' ? hourly : perMinute, [modelId, from, to, limit], readSeconds)) as Array<Record<string, unknown>>;
  return rows.map((row) => ({
    minute: isoOfEpochSeconds(row['s']),
    modelVersionId: String(row['model_version_id']),
    calls: Number(row['calls']),
    rows: Number(row['row_count']),
    errors: Number(row['errors']),
    batchSizeSum: Number(row['batch_size_sum']),
    batchSizeMax: Number(row['batch_size_max']),
    latencyMsSum: Number(row['latency_ms_sum']),
    latencyMsMax: Number(row['latency_ms_max']),
    latencyLe5ms: Number(row['latency_le_5ms']),
    latencyLe25ms: Number(row['latency_le_25ms']),
    latencyLe100ms: Number(row['latency_le_100ms']),
    latencyLe500ms: Number(row['latency_le_500ms']),
  }));
}

/** Every model's calls, errors and summed latency per minute in [from, to). */
export async function readPredictionMinutes(manager: EntityManager, from: Date, to: Date): Promise<Array<{ minute: string; calls: number; errors: number; latencyMsSum: number }>> {
  const rows = (await manager.query(
    `SELECT ${epochSeconds('minute')} AS s, SUM(calls) AS calls, SUM(errors) AS errors, SUM(latency_ms_sum) AS latency
       FROM inference_stats WHERE minute >= ? AND minute < ? GROUP BY minute ORDER BY minute`,
    [from, to],
  )) as Array<{ s: number | string; calls: number | string; errors: number | string; latency: number | string }>;
  return rows.map((row) => ({ minute: isoOfEpochSeconds(row.s), calls: Number(row.calls), errors: Number(row.errors), latencyMsSum: Number(row.latency) }));
}

/** The first minute with numbers, or null. */
export async function readFirstPredictionMinute(manager: EntityManager): Promise<string | null> {
  const rows = (await manager.query(`SELECT ${epochSeconds('MIN(minute)')} AS s FROM inference_stats`)) as Array<{ s: number | string | null }>;
  const first = rows[0]?.s;
  return first === null || first === undefined ? null : isoOfEpochSeconds(first);
}

/** MariaDB's ER_STATEMENT_TIMEOUT: the server stopped the statement at its max_statement_time. */
const statementTimeout = 1969;

/**
 * The statement under `readSeconds` of database time (`SET STATEMENT max_statement_time`; by default
 * `maxInferenceReadSeconds`):
 * the server stops it wherever the time goes (adding up rows, waiting for a lock), so a month of a
 * busy model's minutes never holds a pooled connection longer; stopped, it is QUERY_TOO_COMPLEX.
 */
async function cappedQuery(manager: EntityManager, sql: string, params: unknown[], readSeconds: number): Promise<unknown> {
  try {
    return await manager.query(`SET STATEMENT max_statement_time=${readSeconds} FOR ${sql}`, params);
  } catch (error) {
    if ((error as { errno?: unknown }).errno !== statementTimeout) throw error;
    throw new TesseraError('QUERY_TOO_COMPLEX', `This read of inference numbers needed more than ${readSeconds} s of database time and was stopped; ask for a shorter range or per HOUR.`, {
      limit: 'maxInferenceReadSeconds',
      limitValue: readSeconds,
    });
  }
}
