import type { EntityManager } from 'typeorm';
import { estimateQuantile } from '@tessera/monitoring';
import { epochSeconds, readRequestSlots } from './request-metrics.repository';

/** What one bucket of one source measured; each series picks its number from it. */
export interface BucketValue {
  count: number;
  errors: number;
  p95Ms: number | null;
  meanLatencyMs: number;
}

const ER_NO_SUCH_TABLE = 1146;

/** A source whose table does not exist (yet) in this tenant's schema has no series, instead of failing the pass. */
async function unlessMissing<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if ((error as { errno?: number }).errno === ER_NO_SUCH_TABLE) return null;
    throw error;
  }
}

export function readBucketedRequestStats(manager: EntityManager, from: Date, to: Date, bucketMs: number): Promise<Map<number, BucketValue> | null> {
  return unlessMissing(async () => {
    const slots = await readRequestSlots(manager, from, to, bucketMs / 1000);
    return new Map(
      slots.map((s) => [
        s.start,
        { count: s.requests, errors: s.errors, p95Ms: estimateQuantile(s.histogram, 0.95, s.latencyMsMax), meanLatencyMs: s.requests > 0 ? s.latencyMsSum / s.requests : 0 },
      ]),
    );
  });
}

/** The reads the audit trail records (dataset content, model downloads, exports), chained or still in the outbox. */
const readActions = `(action LIKE '%.read' OR action LIKE '%.download' OR action LIKE '%.export')`;

export function readBucketedDataReads(manager: EntityManager, from: Date, to: Date, bucketMs: number): Promise<Map<number, BucketValue> | null> {
  return unlessMissing(async () => {
    const seconds = bucketMs / 1000;
    // One statement, one snapshot: an event the relay moves from the outbox to the chain meanwhile is counted once.
    const rows = (await manager.query(
      `SELECT FLOOR(${epochSeconds('occurred_at')} / ?) AS slot, COUNT(*) AS read_count FROM (
         SELECT occurred_at FROM audit_events WHERE occurred_at >= ? AND occurred_at < ? AND ${readActions}
         UNION ALL
         SELECT occurred_at FROM audit_outbox WHERE occurred_at >= ? AND occurred_at < ? AND ${readActions}
       ) e GROUP BY slot`,
      [seconds, from, to, from, to],
    )) as Array<{ slot: number | string; read_count: number | string }>;
    return new Map(rows.map((r) => [Number(r.slot) * bucketMs, { count: Number(r.read_count), errors: 0, p95Ms: null, meanLatencyMs: 0 }]));
  });
}

export function readBucketedInferenceStats(manager: EntityManager, from: Date, to: Date): Promise<Map<number, BucketValue> | null> {
  return unlessMissing(async () => {
    const rows = (await manager.query(
      `SELECT ${epochSeconds('minute')} AS s, SUM(calls) AS calls, SUM(errors) AS errors, SUM(latency_ms_sum) AS latency
         FROM inference_stats WHERE minute >= ? AND minute < ? GROUP BY minute`,
      [from, to],
    )) as Array<{ s: number | string; calls: number | string; errors: number | string; latency: number | string }>;
    return new Map(
      rows.map((r) => {
        const calls = Number(r.calls);
        return [Number(r.s) * 1000, { count: calls, errors: Number(r.errors), p95Ms: null, meanLatencyMs: calls > 0 ? Number(r.latency) / calls : 0 }];
      }),
    );
  });
}

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const date = new Date(`${String(value).replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Where a series starts: its first recorded bucket (a new tenant's model learns from its first traffic). */
export async function firstDataAt(manager: EntityManager, source: 'requests' | 'dataReads' | 'inference'): Promise<Date | null> {
  const sql =
    source === 'requests'
      ? 'SELECT MIN(bucket_start) AS first FROM request_metrics'
      : source === 'inference'
        ? 'SELECT MIN(minute) AS first FROM inference_stats'
        : `SELECT LEAST(COALESCE((SELECT MIN(occurred_at) FROM audit_events WHERE ${readActions}), '9999-12-31'),
                        COALESCE((SELECT MIN(occurred_at) FROM audit_outbox WHERE ${readActions}), '9999-12-31')) AS first`;
  const rows = await unlessMissing(() => manager.query(sql) as Promise<Array<{ first: unknown }>>);
  const first = toDate(rows?.[0]?.first);
  return first && first.getUTCFullYear() < 9999 ? first : null;
}
