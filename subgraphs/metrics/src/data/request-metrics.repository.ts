import { latencyBucketColumns } from '@tessera/monitoring';
import type { SqlReader } from './time-capped-reader';

/** Sums of `request_metrics` over one slot (a minute, an hour, a detector bucket). */
export interface RequestSlot {
  /** Slot start, ms since epoch. */
  start: number;
  requests: number;
  errors: number;
  latencyMsSum: number;
  latencyMsMax: number;
  histogram: number[];
}

export interface RequestFilter {
  operationType?: string | undefined;
  operationName?: string | undefined;
}

/** Seconds since the epoch of a DATETIME, independent of the session's time zone. */
export const epochSeconds = (column: string) => `TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ${column})`;

function where(filter: RequestFilter): { sql: string; params: string[] } {
  const clauses: string[] = [];
  const params: string[] = [];
  if (filter.operationType) {
    clauses.push('op_type = ?');
    params.push(filter.operationType);
  }
  if (filter.operationName) {
    clauses.push('op_name = ?');
    params.push(filter.operationName);
  }
  return { sql: clauses.map((c) => ` AND ${c}`).join(''), params };
}

const sums = `SUM(requests) AS requests, SUM(errors) AS errors, SUM(latency_ms_sum) AS latency_ms_sum, MAX(latency_ms_max) AS latency_ms_max, ${latencyBucketColumns
  .map((c) => `SUM(${c}) AS ${c}`)
  .join(', ')}`;

function histogramOf(row: Record<string, unknown>): number[] {
  return latencyBucketColumns.map((c) => Number(row[c] ?? 0));
}

/** `request_metrics` of [from, to) summed per slot of `slotSeconds`, on the caller's tenant schema. */
export async function readRequestSlots(manager: SqlReader, from: Date, to: Date, slotSeconds: number, filter: RequestFilter = {}): Promise<RequestSlot[]> {
  const extra = where(filter);
  const rows = (await manager.query(
    `SELECT FLOOR(${epochSeconds('bucket_start')} / ?) AS slot, ${sums}
       FROM request_metrics WHERE bucket_start >= ? AND bucket_start < ?${extra.sql}
      GROUP BY slot ORDER BY slot`,
    [slotSeconds, from, to, ...extra.params],
  )) as Array<Record<string, unknown>>;
  return rows.map((row) => ({
    start: Number(row['slot']) * slotSeconds * 1000,
    requests: Number(row['requests'] ?? 0),
    errors: Number(row['errors'] ?? 0),
    latencyMsSum: Number(row['latency_ms_sum'] ?? 0),
    latencyMsMax: Number(row['latency_ms_max'] ?? 0),
    histogram: histogramOf(row),
  }));
}

/** Error codes of [from, to) per slot: slot start → code → failed requests. */
export async function readErrorSlots(manager: SqlReader, from: Date, to: Date, slotSeconds: number, filter: RequestFilter = {}): Promise<Map<number, Map<string, number>>> {
  const extra = where(filter);
  const rows = (await manager.query(
    `SELECT FLOOR(${epochSeconds('bucket_start')} / ?) AS slot, code, SUM(requests) AS requests
       FROM request_metric_errors WHERE bucket_start >= ? AND bucket_start < ?${extra.sql}
      GROUP BY slot, code`,
    [slotSeconds, from, to, ...extra.params],
  )) as Array<{ slot: number | string; code: string; requests: number | string }>;
  const bySlot = new Map<number, Map<string, number>>();
  for (const row of rows) {
    const start = Number(row.slot) * slotSeconds * 1000;
    const codes = bySlot.get(start) ?? new Map<string, number>();
    codes.set(row.code, Number(row.requests));
    bySlot.set(start, codes);
  }
  return bySlot;
}

export interface OperationSums extends Omit<RequestSlot, 'start'> {
  operationType: string;
  operationName: string;
}

/** The busiest operations of [from, to), at most `limit`. */
export async function readOperations(manager: SqlReader, from: Date, to: Date, filter: RequestFilter, limit: number): Promise<OperationSums[]> {
  const extra = where(filter);
  const rows = (await manager.query(
    `SELECT op_type, op_name, ${sums}
       FROM request_metrics WHERE bucket_start >= ? AND bucket_start < ?${extra.sql}
      GROUP BY op_type, op_name ORDER BY requests DESC, op_type, op_name LIMIT ?`,
    [from, to, ...extra.params, limit],
  )) as Array<Record<string, unknown>>;
  return rows.map((row) => ({
    operationType: String(row['op_type']),
    operationName: String(row['op_name']),
    requests: Number(row['requests'] ?? 0),
    errors: Number(row['errors'] ?? 0),
    latencyMsSum: Number(row['latency_ms_sum'] ?? 0),
    latencyMsMax: Number(row['latency_ms_max'] ?? 0),
    histogram: histogramOf(row),
  }));
}
