import type { EntitySchema } from 'typeorm';
import type { JobGrantKeys } from '@tessera/auth';
import type { SubgraphModule } from '@tessera/service-kit';
import { datasetEntities, datasetsSubgraph, defaultDatasetsConfig } from './server';
import { datasetsData } from './tables';

export interface DatasetsModuleOptions {
  /** `verifyKey`: the jobs service's public key, which job grants are checked against. */
  jobGrantKeys?: JobGrantKeys;
}

export const datasetsModule: SubgraphModule<DatasetsModuleOptions, 'datasets'> = {
  name: 'datasets',
  entities: datasetEntities as EntitySchema[],
  data: datasetsData,
  // Stores and reads the tenant's encrypted objects.
  environment: ['storage'],
  build: (runtime, options) => datasetsSubgraph(defaultDatasetsConfig, runtime, options.jobGrantKeys),
};
