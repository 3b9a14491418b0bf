import type { EntitySchema } from 'typeorm';
import type { SubgraphModule } from '@tessera/service-kit';
import { tenantsEntities, tenantsSubgraph } from './server';
import { tenantsData } from './tables';
import type { AuditChainConfig } from '@tessera/config';
import type { RewrapperOptions } from './domain/data-key-rewrapper';

export interface TenantsModuleOptions {
  /** Regions this deployment can hold tenant data in. */
  regions: string[];
  /** The background rewrap's batch size and pace (defaults: 100 keys, no pause). */
  keyRewrap?: RewrapperOptions | undefined;
  /** The audit signing key signs erasure receipts; without it erasures are requested but never carried out. */
  auditChain?: AuditChainConfig | undefined;
}

export const tenantsModule = {
  name: 'tenants',
  entities: tenantsEntities as EntitySchema[],
  data: tenantsData,
  // Creates and removes a tenant's bucket and data keys, and administers the key-encryption key.
  environment: ['storage'],
  ports: { calls: [] },
  build: (runtime, options) => tenantsSubgraph(runtime, { regions: options.regions, rewrap: options.keyRewrap, signingKey: options.auditChain?.signingKey, verifyKeys: options.auditChain?.verifyKeys }),
} satisfies SubgraphModule<TenantsModuleOptions, 'tenants'>;
