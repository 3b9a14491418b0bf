import type { EntityManager } from 'typeorm';
import type { AuditPort } from '@tessera/audit/ports';
import type { Principal } from '@tessera/auth';
import type { ModelsPort } from '@tessera/models/ports';
import type { AnomalyDetectionConfig } from '@tessera/monitoring';
import { readBucketedRequestStats, firstRequestAt, type BucketValue } from '../data/anomaly-source.repository';
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

/** The owners' ports the series of other services' numbers are read through. */
export interface AnomalySourcePorts {
  models: Pick<ModelsPort, 'predictionSeries' | 'predictionSeriesStart'>;
  audit: Pick<AuditPort, 'dataReadSeries' | 'dataReadSeriesStart'>;
}

/**
 * Where one pass reads: request numbers from this service's own tables (in the pass's
 * transaction); data reads and inference numbers from their owners' ports, acting for the tenant.
 */
export interface SourceReader {
  manager: EntityManager;
  actor: Principal;
  ports: AnomalySourcePorts;
}

/** A source's buckets in [from, to) by start (epoch ms); null only when this schema lacks the request metrics table. */
export async function readSource(reader: SourceReader, source: SeriesSource, from: Date, to: Date, bucketMs: number): Promise<Map<number, BucketValue> | null> {
  if (source === 'requests') return readBucketedRequestStats(reader.manager, from, to, bucketMs);
  if (source === 'dataReads') {
    const slots = await reader.ports.audit.dataReadSeries(reader.actor, { from: from.toISOString(), to: to.toISOString(), bucketSeconds: bucketMs / 1000 });
    return new Map(slots.map((slot) => [Date.parse(slot.start), { count: slot.reads, errors: 0, p95Ms: null, meanLatencyMs: 0 }]));
  }
  const minutes = await reader.ports.models.predictionSeries(reader.actor, { from: from.toISOString(), to: to.toISOString() });
  return new Map(
    minutes.map((m) => [Date.parse(m.minute), { count: m.calls, errors: m.errors, p95Ms: null, meanLatencyMs: m.calls > 0 ? m.latencyMsSum / m.calls : 0 }]),
  );
}

/** Where a series starts: its first recorded bucket (a new tenant's model learns from its first traffic). */
export async function firstDataOf(reader: SourceReader, source: SeriesSource): Promise<Date | null> {
  if (source === 'requests') return firstRequestAt(reader.manager);
  const first = source === 'dataReads' ? await reader.ports.audit.dataReadSeriesStart(reader.actor, {}) : await reader.ports.models.predictionSeriesStart(reader.actor, {});
  return first === null ? null : new Date(first);
}
