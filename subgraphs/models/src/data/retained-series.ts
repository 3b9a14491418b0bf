import type { RetainedTable } from '@tessera/tenancy';

/**
 * The models service's per-minute serving numbers, deleted past the retention
 * (METRICS_RETENTION_DAYS). The table is ordered by minute only per model (`ix_inference_stats_model`),
 * so it is swept model by model.
 */
export const modelsRetainedTables: readonly RetainedTable[] = [{ table: 'inference_stats', timeColumn: 'minute', partitionColumn: 'model_id' }];
