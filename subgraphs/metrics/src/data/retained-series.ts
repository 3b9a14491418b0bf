import type { RetainedTable } from '@tessera/tenancy';

/**
 * The metrics service's per-minute series, deleted past the retention (METRICS_RETENTION_DAYS).
 * Both are ordered by `bucket_start` (first column of the primary key). Not `usage_meters`: it is
 * the billing history (hourly, read per MONTH over 36 months), and no bound for it is set yet.
 */
export const metricsRetainedTables: readonly RetainedTable[] = [
  { table: 'request_metrics', timeColumn: 'bucket_start' },
  { table: 'request_metric_errors', timeColumn: 'bucket_start' },
];
