export { datasetsSubgraph, defaultDatasetsConfig, datasetEntities } from './server';
export type { DatasetsConfig } from './domain/datasets-config';
/** For composition roots that run a caller in this process; other services import `@tessera/datasets/ports`. */
export { createDatasetsPort } from './ports/datasets-port.impl';
export { createDatasetJobPort } from './ports/dataset-job-port.impl';
export { datasetsModule, type DatasetsModuleOptions } from './module';
export { datasetsData } from './tables';
