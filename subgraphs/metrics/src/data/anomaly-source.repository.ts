import type { EntityManager } from 'typeorm';
import { estimateQuantile } from '@tessera/monitoring';
import { readRequestSlots } from './request-metrics.repository';

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

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const date = new Date(`${String(value).replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Where the request series starts: its first recorded bucket (a new tenant's model learns from its first traffic). */
export async function firstRequestAt(manager: EntityManager): Promise<Date | null> {
  const rows = await unlessMissing(() => manager.query('SELECT MIN(bucket_start) AS first FROM request_metrics') as Promise<Array<{ first: unknown }>>);
  return toDate(rows?.[0]?.first);
}
