import type { EntitySchema } from 'typeorm';
import type { JobGrantKeys } from '@tessera/auth';
import type { DatasetsPort } from '@tessera/datasets/ports';
import type { ModelsPort } from '@tessera/models/ports';
import type { SubgraphModule } from '@tessera/service-kit';
import { jobEntities, jobsSubgraph } from './server';
import { jobsData } from './tables';

export interface JobsModuleOptions {
  /** The owners' ports job inputs are resolved through (in-process or HTTP clients). */
  ports: { datasets: DatasetsPort; models: ModelsPort };
  /** The jobs service signs the grant of each claimed job with `signingKey` (its SERVICE_KEY). */
  jobGrantKeys?: JobGrantKeys;
}

export const jobsModule: SubgraphModule<JobsModuleOptions, 'jobs'> = {
  name: 'jobs',
  entities: jobEntities as EntitySchema[],
  data: jobsData,
  // No objects, no keys: job inputs and outputs are reached through the owners' ports.
  environment: [],
  build: (runtime, options) => jobsSubgraph(runtime, { datasets: options.ports.datasets, models: options.ports.models }, options.jobGrantKeys),
};
