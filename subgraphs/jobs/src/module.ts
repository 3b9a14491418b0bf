import type { EntitySchema } from 'typeorm';
import type { SubgraphModule } from '@tessera/service-kit';
import { jobEntities, jobsSubgraph } from './server';
import { jobsData } from './tables';

export const jobsModule: SubgraphModule<unknown, 'jobs'> = {
  name: 'jobs',
  entities: jobEntities as EntitySchema[],
  data: jobsData,
  build: (runtime) => jobsSubgraph(runtime),
};
