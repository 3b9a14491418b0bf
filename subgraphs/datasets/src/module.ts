import type { EntitySchema } from 'typeorm';
import type { SubgraphModule } from '@tessera/service-kit';
import { datasetEntities, datasetsSubgraph, defaultDatasetsConfig } from './server';
import { datasetsData } from './tables';

export const datasetsModule: SubgraphModule<unknown, 'datasets'> = {
  name: 'datasets',
  entities: datasetEntities as EntitySchema[],
  data: datasetsData,
  // Stores and reads the tenant's encrypted objects.
  environment: ['storage'],
  build: (runtime) => datasetsSubgraph(defaultDatasetsConfig, runtime),
};
