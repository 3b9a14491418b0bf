export { datasetsSubgraph, defaultDatasetsConfig, datasetEntities } from './server';
export type { DatasetsConfig } from './domain/datasets-config';
export { ensureDataset, insertDatasetVersion, type StoredVersionContent } from './domain/dataset-version-registration';
export { DatasetEntity, DatasetVersionEntity, type Dataset, type DatasetVersion } from './data/dataset.entity';
export { datasetsModule } from './module';
export { datasetsData } from './tables';
