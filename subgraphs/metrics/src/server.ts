import { join } from 'node:path';
import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { AuditPort } from '@tessera/audit/ports';
import { meteringConfig, StoredBytesSampler } from '@tessera/metering';
import { anomalyDetectionConfig, metricsReadsConfig, type MonitoringOptions } from '@tessera/monitoring';
import { LiveQuotaReader } from '@tessera/quotas';
import type { DatasetsPort } from '@tessera/datasets/ports';
import type { JobsPort } from '@tessera/jobs/ports';
import type { ModelsPort } from '@tessera/models/ports';
import { loadSchemaFile, type ServiceRuntime, type SubgraphContext, type SubgraphDefinition } from '@tessera/service-kit';
import { SeriesRetention, seriesRetentionConfig, type SeriesRetentionConfig } from '@tessera/tenancy';
import { metricsRetainedTables } from './data/retained-series';
import { AnomalyEngine } from './domain/anomaly-engine';
import { RangeReads } from './domain/range-reads';
import { anomalyResolvers } from './resolvers/anomaly.resolver';
import { inferenceStatsResolvers } from './resolvers/inference-stats.resolver';
import { requestMetricsResolvers } from './resolvers/request-metrics.resolver';
import { trainingMetricsResolvers } from './resolvers/training-metrics.resolver';
import { usageReportResolvers } from './resolvers/usage-report.resolver';
import { usageResolvers } from './resolvers/usage.resolver';
import { metricsRules } from './rules';

export const metricsEntities = [];

/** Resolver maps of several files, merged type by type. */
function mergeResolvers(...maps: Array<GraphQLResolverMap<SubgraphContext>>): GraphQLResolverMap<SubgraphContext> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) for (const [type, fields] of Object.entries(map)) merged[type] = { ...(merged[type] ?? {}), ...(fields as Record<string, unknown>) };
  return merged as GraphQLResolverMap<SubgraphContext>;
}

/** The other services' ports this subgraph reads their numbers through. */
export interface MetricsPorts {
  jobs: JobsPort;
  datasets: DatasetsPort;
  models: ModelsPort;
  audit: AuditPort;
}

/**
 * The metrics subgraph: usage, inference stats, request and training metrics, anomalies. With a
 * runtime and ports it also runs anomaly detection beside its requests (a periodic pass over the tenants whose series run);
 * without them (a definition built only to read its schema and rules) `anomalies` reads what is stored.
 */
export function metricsSubgraph(runtime?: ServiceRuntime, monitoring?: MonitoringOptions, ports?: MetricsPorts, retention?: Partial<SeriesRetentionConfig>): SubgraphDefinition {
  const engine =
    runtime && ports
      ? new AnomalyEngine({
          db: runtime.db,
          scopes: runtime.scopes,
          tenants: runtime.tenants,
          logger: runtime.logger.child({ service: 'metrics' }),
          config: anomalyDetectionConfig(monitoring?.anomalies),
          ports: { models: ports.models, audit: ports.audit },
        })
      : undefined;
  // Stored byte-hours are sampled here, beside the other platform-wide passes (replica-safe: see the sampler).
  const storageSampler = runtime
    ? new StoredBytesSampler({
        db: runtime.db,
        tenants: async () => (await runtime.tenants.listStatuses()).filter((t) => t.status === 'ACTIVE').map((t) => t.id),
        logger: runtime.logger.child({ service: 'metrics', component: 'stored-bytes-sampler' }),
        intervalMs: meteringConfig(runtime.config.metering).storageSampleIntervalMs,
      })
    : undefined;
  // Request metrics older than the retention are deleted here, by their owner (the gateway only adds to them).
  const retentionSweep = runtime ? metricsRetention(runtime, retention) : undefined;
  // Range reads share the pool with everything else this process does: all tenants together take at
  // most half of it by default, so tenantUsage, budgets, port calls and tenant lookups always find a connection.
  const readLimits = metricsReadsConfig(monitoring?.reads);
  const reads = new RangeReads({ ...readLimits, inFlight: readLimits.inFlight ?? Math.max(1, Math.floor((runtime?.config.database.poolSize ?? 2) / 2)) });
  // tenantUsage's live quotas: read from the Redis counters the gateways, models replicas and workers enforce them with.
  const liveQuotas = runtime ? new LiveQuotaReader({ redis: runtime.config.redis }) : undefined;
  return {
    name: 'metrics',
    typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')),
    resolvers: mergeResolvers(usageResolvers(liveQuotas, ports), inferenceStatsResolvers(ports?.models, reads), requestMetricsResolvers(reads), trainingMetricsResolvers(ports?.jobs, reads), anomalyResolvers(engine), usageReportResolvers(runtime?.budgets, reads)),
    rules: metricsRules,
    start: () => {
      engine?.start();
      storageSampler?.start();
      retentionSweep?.start();
    },
    close: async () => {
      await engine?.stop();
      await storageSampler?.stop();
      await retentionSweep?.stop();
      await liveQuotas?.close();
    },
  };
}

/** The sweep of the metrics service's per-minute series, over every tenant whose schema is in use. */
export function metricsRetention(runtime: ServiceRuntime, retention?: Partial<SeriesRetentionConfig>): SeriesRetention {
  return new SeriesRetention({
    db: runtime.db,
    tenants: async () => (await runtime.tenants.listStatuses()).filter((t) => t.status !== 'PROVISIONING').map((t) => t.id),
    tables: metricsRetainedTables,
    config: seriesRetentionConfig(retention),
    logger: runtime.logger.child({ service: 'metrics', component: 'series-retention' }),
  });
}
