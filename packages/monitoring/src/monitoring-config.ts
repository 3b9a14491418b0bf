import { z } from 'zod';
import { milliseconds } from '@tessera/config';

/**
 * Buckets must tile minutes and hours exactly, so a MINUTE or HOUR point is always a whole number
 * of buckets: the divisors of 60.
 */
const bucketSeconds = z.coerce
  .number()
  .int()
  .refine((s) => s >= 1 && s <= 60 && 60 % s === 0, 'must divide 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)');

/** How the gateway aggregates and writes request metrics. */
export const requestMetricsConfigSchema = z.object({
  /** Width of one aggregation bucket (60: one row per tenant, operation and minute). */
  bucketSeconds: bucketSeconds.default(60),
  /** How often the gateway writes what it aggregated (0: only on demand and at shutdown). */
  flushIntervalMs: z.coerce.number().int().min(0).default(10_000),
  /** Distinct operation names per tenant and bucket; further names are counted as "(other)". */
  maxOperationNames: z.coerce.number().int().min(1).max(1000).default(50),
  /** Failed writes are retried at the next flushes, this many times, then dropped (and logged). */
  maxFlushAttempts: z.coerce.number().int().min(1).max(100).default(6),
});
export type RequestMetricsConfig = z.infer<typeof requestMetricsConfigSchema>;

/** How the metrics service models each tenant's series and flags anomalies. */
export const anomalyDetectionConfigSchema = z.object({
  /** Must equal the gateway's bucketSeconds: the detector reads the series bucket by bucket. */
  bucketSeconds: bucketSeconds.default(60),
  /** Background pass over every active tenant (0: off; `anomalies` still evaluates before answering). */
  intervalMs: z.coerce.number().int().min(0).default(60_000),
  /**
   * A bucket is evaluated once it ended this long ago: long enough for every gateway to have
   * flushed it (their flush interval plus slack), so it is never judged half-written.
   */
  settleMs: z.coerce.number().int().min(0).default(30_000),
  /** Observations a series needs before it may flag anything (the model learns its baseline first). */
  warmupBuckets: z.coerce.number().int().min(1).default(15),
  /** EWMA weight of a new observation (0.05: roughly the last 20–40 buckets matter). */
  alpha: z.coerce.number().gt(0).max(1).default(0.05),
  /** Flag when (observed − expected) / spread reaches this many standard deviations. */
  threshold: z.coerce.number().gt(0).default(4),
  /** An anomalous observation moves the model by alpha × this, so an attack does not become the baseline at once. */
  anomalyWeight: z.coerce.number().min(0).max(1).default(0.1),
  /** Rates and percentiles of a bucket with fewer requests (or inference calls) are not judged. */
  minRequests: z.coerce.number().int().min(1).default(10),
  /** After a long gap (detector down), only the newest buckets are read; the model is kept. */
  maxCatchUpBuckets: z.coerce.number().int().min(1).max(10_000).default(180),
});
export type AnomalyDetectionConfig = z.infer<typeof anomalyDetectionConfigSchema>;

/**
 * How the metrics service bounds its range reads (requestMetrics, usageReport): a long range at fine
 * resolution holds a pooled connection for as long as the database aggregates it, so one tenant
 * repeating them could hold every connection of the pool that all tenants share.
 */
export const metricsReadsConfigSchema = z.object({
  /** Range reads of one tenant holding a connection at once, per metrics process. */
  perTenant: z.coerce.number().int().min(1).max(100).default(2),
  /** Range reads of all tenants holding a connection at once (default: half the pool, at least 1). */
  inFlight: z.coerce.number().int().min(1).max(500).optional(),
  /** How long a read waits for its tenant's turn before RATE_LIMITED. */
  queueWaitMs: z.coerce.number().int().min(0).max(60_000).default(2_000),
  /** Reads of one tenant that may wait; one more is refused at once. */
  maxQueuedPerTenant: z.coerce.number().int().min(0).max(1_000).default(8),
  /** The database time one read may take (every statement of it together), then it is stopped. */
  maxReadSeconds: z.coerce.number().gt(0).max(3_600).default(10),
});
export type MetricsReadsConfig = z.infer<typeof metricsReadsConfigSchema>;

/** What a deployment (or a test) may override; everything else takes the defaults above. */
export interface MonitoringOptions {
  requestMetrics?: Partial<RequestMetricsConfig>;
  anomalies?: Partial<AnomalyDetectionConfig>;
  /** The metrics service's bounds on range reads. */
  reads?: Partial<MetricsReadsConfig>;
}

export function requestMetricsConfig(options: Partial<RequestMetricsConfig> = {}): RequestMetricsConfig {
  return requestMetricsConfigSchema.parse(options);
}

export function anomalyDetectionConfig(options: Partial<AnomalyDetectionConfig> = {}): AnomalyDetectionConfig {
  return anomalyDetectionConfigSchema.parse(options);
}

export function metricsReadsConfig(options: Partial<MetricsReadsConfig> = {}): MetricsReadsConfig {
  return metricsReadsConfigSchema.parse(options);
}

/** Environment variables (README table), shared by the gateway and the metrics service. */
export const monitoringVariables = z.object({
  METRICS_BUCKET_SECONDS: bucketSeconds.default(60),
  METRICS_FLUSH_INTERVAL_MS: milliseconds(10_000),
  METRICS_MAX_OPERATION_NAMES: z.coerce.number().int().min(1).max(1000).default(50),
  ANOMALY_INTERVAL_MS: milliseconds(60_000),
  ANOMALY_SETTLE_MS: milliseconds(30_000),
  ANOMALY_WARMUP_BUCKETS: z.coerce.number().int().min(1).default(15),
  ANOMALY_THRESHOLD: z.coerce.number().gt(0).default(4),
  METRICS_READS_PER_TENANT: metricsReadsConfigSchema.shape.perTenant,
  METRICS_READS_IN_FLIGHT: metricsReadsConfigSchema.shape.inFlight,
  METRICS_READ_QUEUE_MS: metricsReadsConfigSchema.shape.queueWaitMs,
  METRICS_READ_QUEUE_PER_TENANT: metricsReadsConfigSchema.shape.maxQueuedPerTenant,
  METRICS_READ_MAX_SECONDS: metricsReadsConfigSchema.shape.maxReadSeconds,
});

export function toMonitoringOptions(parsed: z.infer<typeof monitoringVariables>): MonitoringOptions {
  return {
    requestMetrics: { bucketSeconds: parsed.METRICS_BUCKET_SECONDS, flushIntervalMs: parsed.METRICS_FLUSH_INTERVAL_MS, maxOperationNames: parsed.METRICS_MAX_OPERATION_NAMES },
    anomalies: {
      bucketSeconds: parsed.METRICS_BUCKET_SECONDS,
      intervalMs: parsed.ANOMALY_INTERVAL_MS,
      settleMs: parsed.ANOMALY_SETTLE_MS,
      warmupBuckets: parsed.ANOMALY_WARMUP_BUCKETS,
      threshold: parsed.ANOMALY_THRESHOLD,
    },
    reads: {
      perTenant: parsed.METRICS_READS_PER_TENANT,
      ...(parsed.METRICS_READS_IN_FLIGHT !== undefined ? { inFlight: parsed.METRICS_READS_IN_FLIGHT } : {}),
      queueWaitMs: parsed.METRICS_READ_QUEUE_MS,
      maxQueuedPerTenant: parsed.METRICS_READ_QUEUE_PER_TENANT,
      maxReadSeconds: parsed.METRICS_READ_MAX_SECONDS,
    },
  };
}
