import type { EntitySchema } from 'typeorm';
import type { MonitoringOptions } from '@tessera/monitoring';
import type { SubgraphModule } from '@tessera/service-kit';
import { metricsEntities, metricsSubgraph } from './server';
import { metricsData } from './tables';

export interface MetricsModuleOptions {
  /** Anomaly detection settings (defaults when omitted). */
  monitoring?: MonitoringOptions;
}

export const metricsModule: SubgraphModule<MetricsModuleOptions, 'metrics'> = {
  name: 'metrics',
  entities: metricsEntities as EntitySchema[],
  data: metricsData,
  build: (runtime, options) => metricsSubgraph(runtime, options.monitoring?.anomalies),
};
