import type { EntitySchema } from 'typeorm';
import type { SubgraphModule } from '@tessera/service-kit';
import { tenantsEntities, tenantsSubgraph } from './server';
import { tenantsData } from './tables';

export interface TenantsModuleOptions {
  /** Regions this deployment can hold tenant data in. */
  regions: string[];
}

export const tenantsModule = {
  name: 'tenants',
  entities: tenantsEntities as EntitySchema[],
  data: tenantsData,
  // Creates and removes a tenant's bucket and data keys.
  environment: ['storage'],
  ports: { calls: [] },
  build: (runtime, options) => tenantsSubgraph(runtime, { regions: options.regions }),
} satisfies SubgraphModule<TenantsModuleOptions, 'tenants'>;
