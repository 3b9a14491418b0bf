export { metricsSubgraph, metricsEntities } from './server';
