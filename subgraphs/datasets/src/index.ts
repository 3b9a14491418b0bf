export { datasetsSubgraph, defaultDatasetsConfig, datasetEntities } from './server';
export type { DatasetsConfig } from './domain/datasets-config';
