import type { EntitySchema } from 'typeorm';
import type { AuditPort } from '@tessera/audit/ports';
import type { DatasetsPort } from '@tessera/datasets/ports';
import type { JobsPort } from '@tessera/jobs/ports';
import type { ModelsPort } from '@tessera/models/ports';
import type { MonitoringOptions } from '@tessera/monitoring';
import type { SubgraphModule } from '@tessera/service-kit';
import type { SeriesRetentionConfig } from '@tessera/tenancy';
import { metricsEntities, metricsSubgraph } from './server';
import { metricsData } from './tables';

export interface MetricsModuleOptions {
  /** Anomaly detection and range-read settings (defaults when omitted). */
  monitoring?: MonitoringOptions;
  /** How long per-minute series are kept (METRICS_RETENTION_DAYS) and how the sweep paces itself. */
  retention?: Partial<SeriesRetentionConfig>;
  /** The owners' ports usage, training, inference and audit numbers are read through. */
  ports: { jobs: JobsPort; datasets: DatasetsPort; models: ModelsPort; audit: AuditPort };
}

export const metricsModule = {
  name: 'metrics',
  entities: metricsEntities as EntitySchema[],
  data: metricsData,
  // Anomaly detection and the retention of its series; no objects, no keys.
  environment: ['monitoring', 'retention'],
  ports: { calls: ['jobs', 'datasets', 'models', 'audit'] },
  build: (runtime, options) => metricsSubgraph(runtime, options.monitoring, { jobs: options.ports.jobs, datasets: options.ports.datasets, models: options.ports.models, audit: options.ports.audit }, options.retention),
} satisfies SubgraphModule<MetricsModuleOptions, 'metrics'>;
