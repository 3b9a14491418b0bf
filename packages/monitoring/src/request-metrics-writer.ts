import type { DataSource } from 'typeorm';
import { quoteIdentifier, tenantDatabase, tenantSchemaName } from '@tessera/tenancy';
import { latencyBucketColumns } from './latency-histogram';
import type { RequestMetricsRow } from './request-metrics-aggregator';

/** Rows per INSERT statement: far below max_allowed_packet, few round trips. */
const chunkSize = 200;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += chunkSize) out.push(items.slice(i, i + chunkSize));
  return out;
}

/**
 * Adds one tenant's aggregated rows to its own `request_metrics` / `request_metric_errors`, in
 * one transaction (so a retried write never half-applies). The gateway's connections stay on the
 * control plane; the tenant's tables are addressed by schema-qualified names built only from a
 * validated tenant id (`tenantSchemaName` refuses anything else), on the server holding that schema.
 */
export async function writeTenantRequestMetrics(db: DataSource, tenantId: string, rows: readonly RequestMetricsRow[]): Promise<void> {
  if (rows.length === 0) return;
  const schema = quoteIdentifier(tenantSchemaName(tenantId));
  const histogramColumns = latencyBucketColumns.join(', ');
  const addHistogram = latencyBucketColumns.map((c) => `${c} = ${c} + VALUES(${c})`).join(', ');
  const errorRows = rows.flatMap((row) => [...row.errorCodes].map(([code, requests]) => ({ row, code, requests })));
  await (await tenantDatabase(db, tenantId)).transaction(async (manager) => {
    for (const chunk of chunks(rows)) {
      const placeholders = chunk.map(() => `(?, ?, ?, ?, ?, ?, ?, ${latencyBucketColumns.map(() => '?').join(', ')})`).join(', ');
      await manager.query(
        `INSERT INTO ${schema}.request_metrics (bucket_start, op_type, op_name, requests, errors, latency_ms_sum, latency_ms_max, ${histogramColumns})
         VALUES ${placeholders}
         ON DUPLICATE KEY UPDATE requests = requests + VALUES(requests), errors = errors + VALUES(errors),
           latency_ms_sum = latency_ms_sum + VALUES(latency_ms_sum), latency_ms_max = GREATEST(latency_ms_max, VALUES(latency_ms_max)), ${addHistogram}`,
        chunk.flatMap((r) => [new Date(r.bucketStart), r.operationType, r.operationName, r.requests, r.errors, r.latencyMsSum, r.latencyMsMax, ...r.histogram]),
      );
    }
    for (const chunk of chunks(errorRows)) {
      await manager.query(
        `INSERT INTO ${schema}.request_metric_errors (bucket_start, op_type, op_name, code, requests)
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')}
         ON DUPLICATE KEY UPDATE requests = requests + VALUES(requests)`,
        chunk.flatMap((e) => [new Date(e.row.bucketStart), e.row.operationType, e.row.operationName, e.code, e.requests]),
      );
    }
  });
}
