export * from './monitoring-config';
export { latencyBucketBoundsMs, latencyBucketColumns, emptyHistogram, latencyBucketIndex, estimateQuantile } from './latency-histogram';
export {
  RequestMetricsAggregator,
  anonymousOperation,
  predictRouteOperation,
  otherOperations,
  type OperationType,
  type RequestMetricsRow,
  type RequestObservation,
} from './request-metrics-aggregator';
export { writeTenantRequestMetrics } from './request-metrics-writer';
export { RequestMetricsRecorder } from './request-metrics-recorder';
export { TenantRowsFlusher, type FlushResult, type TenantRowsSource, type TenantRowsWrite } from './tenant-rows-flusher';
