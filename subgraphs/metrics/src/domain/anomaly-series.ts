import type { EntityManager } from 'typeorm';
import type { AnomalyDetectionConfig } from '@tessera/monitoring';
import { readBucketedRequestStats, readBucketedDataReads, readBucketedInferenceStats, firstDataAt, type BucketValue } from '../data/anomaly-source.repository';
import type { SeriesModelParameters } from './anomaly-model';

export const anomalyMetrics = ['REQUEST_RATE', 'ERROR_RATE', 'LATENCY_P95', 'DATA_READS', 'INFERENCE_ERROR_RATE', 'INFERENCE_LATENCY'] as const;
export type AnomalyMetric = (typeof anomalyMetrics)[number];

/** Where a series' numbers come from; several series share one source (one query per source). */
export type SeriesSource = 'requests' | 'dataReads' | 'inference';

export interface SeriesDefinition {
  metric: AnomalyMetric;
  source: SeriesSource;
  unit: string;
  /** Per-series guards; alpha, warm-up, threshold and damping come from the config. */
  guards: Pick<SeriesModelParameters, 'minDeviation' | 'relativeDeviation' | 'minObserved'>;
  /** The value of one bucket, or null when the bucket says nothing (too few requests for a rate). */
  valueOf(bucket: BucketValue, config: AnomalyDetectionConfig, bucketMs: number): number | null;
}

const perMinute = (count: number, bucketMs: number) => (count * 60_000) / bucketMs;

/**
 * The monitored series of every tenant. Counts are turned into per-minute rates, so the guards
 * mean the same whatever the bucket width; rates and latencies of nearly idle buckets are skipped
 * rather than judged (two requests, one failed, is not a 50% error rate worth an alert).
 */
export const seriesDefinitions: readonly SeriesDefinition[] = [
  {
    metric: 'REQUEST_RATE',
    source: 'requests',
    unit: 'requests/min',
    guards: { minDeviation: 5, relativeDeviation: 0.1, minObserved: 30 },
    valueOf: (b, _c, bucketMs) => perMinute(b.count, bucketMs),
  },
  {
    metric: 'ERROR_RATE',
    source: 'requests',
    unit: 'fraction of requests',
    guards: { minDeviation: 0.05, relativeDeviation: 0, minObserved: 0.2 },
    valueOf: (b, c) => (b.count >= c.minRequests ? b.errors / b.count : null),
  },
  {
    metric: 'LATENCY_P95',
    source: 'requests',
    unit: 'ms',
    guards: { minDeviation: 20, relativeDeviation: 0.1, minObserved: 100 },
    valueOf: (b, c) => (b.count >= c.minRequests ? b.p95Ms : null),
  },
  {
    metric: 'DATA_READS',
    source: 'dataReads',
    unit: 'reads/min',
    guards: { minDeviation: 5, relativeDeviation: 0.1, minObserved: 30 },
    valueOf: (b, _c, bucketMs) => perMinute(b.count, bucketMs),
  },
  {
    metric: 'INFERENCE_ERROR_RATE',
    source: 'inference',
    unit: 'fraction of predict calls',
    guards: { minDeviation: 0.05, relativeDeviation: 0, minObserved: 0.2 },
    valueOf: (b, c) => (b.count >= c.minRequests ? b.errors / b.count : null),
  },
  {
    metric: 'INFERENCE_LATENCY',
    source: 'inference',
    unit: 'ms (mean)',
    guards: { minDeviation: 5, relativeDeviation: 0.1, minObserved: 20 },
    valueOf: (b, c) => (b.count >= c.minRequests ? b.meanLatencyMs : null),
  },
];

/** Inference numbers are written per minute by the models service, whatever the gateway's buckets. */
export function bucketMsOf(source: SeriesSource, config: AnomalyDetectionConfig): number {
  return source === 'inference' ? 60_000 : config.bucketSeconds * 1000;
}

export function readSource(manager: EntityManager, source: SeriesSource, from: Date, to: Date, bucketMs: number): Promise<Map<number, BucketValue> | null> {
  if (source === 'requests') return readBucketedRequestStats(manager, from, to, bucketMs);
  if (source === 'dataReads') return readBucketedDataReads(manager, from, to, bucketMs);
  return readBucketedInferenceStats(manager, from, to);
}

export function firstDataOf(manager: EntityManager, source: SeriesSource): Promise<Date | null> {
  return firstDataAt(manager, source);
}
