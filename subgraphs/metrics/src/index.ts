export { metricsSubgraph, metricsEntities } from './server';
export { metricsModule, type MetricsModuleOptions } from './module';
export { metricsData } from './tables';
