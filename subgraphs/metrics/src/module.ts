import type { EntitySchema } from 'typeorm';
import type { AuditPort } from '@tessera/audit/ports';
import type { DatasetsPort } from '@tessera/datasets/ports';
import type { JobsPort } from '@tessera/jobs/ports';
import type { ModelsPort } from '@tessera/models/ports';
import type { MonitoringOptions } from '@tessera/monitoring';
import type { SubgraphModule } from '@tessera/service-kit';
import { metricsEntities, metricsSubgraph } from './server';
import { metricsData } from './tables';

export interface MetricsModuleOptions {
  /** Anomaly detection and range-read settings (defaults when omitted). */
  monitoring?: MonitoringOptions;
  /** The owners' ports usage, training, inference and audit numbers are read through. */
  ports: { jobs: JobsPort; datasets: DatasetsPort; models: ModelsPort; audit: AuditPort };
}

export const metricsModule = {
  name: 'metrics',
  entities: metricsEntities as EntitySchema[],
  data: metricsData,
  // Anomaly detection; no objects, no keys.
  environment: ['monitoring'],
  ports: { calls: ['jobs', 'datasets', 'models', 'audit'] },
  build: (runtime, options) => metricsSubgraph(runtime, options.monitoring, { jobs: options.ports.jobs, datasets: options.ports.datasets, models: options.ports.models, audit: options.ports.audit }),
} satisfies SubgraphModule<MetricsModuleOptions, 'metrics'>;
