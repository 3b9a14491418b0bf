import { join } from 'node:path';
import { loadSchemaFile, requireObjectStoreConfig, type ServiceRuntime, type SubgraphDefinition } from '@tessera/service-kit';
import { SchemaManager, TenantProvisioner } from '@tessera/tenancy';
import { tenantResolvers } from './resolvers/tenant.resolver';
import { tenantRules } from './rules';

export interface TenantsConfig {
  /** Regions this deployment can keep tenant data in. */
  regions: string[];
}

/** The control-plane subgraph: tenant lifecycle for platform admins, and "my tenant" for users. */
export function tenantsSubgraph(runtime: ServiceRuntime, config: TenantsConfig): SubgraphDefinition {
  const provisioner = createProvisioner(runtime, config);
  return {
    name: 'tenants',
    typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')),
    resolvers: tenantResolvers({ store: runtime.tenants, directory: runtime.directory, provisioner, db: runtime.db }),
    rules: tenantRules,
  };
}

export function createProvisioner(runtime: ServiceRuntime, config: TenantsConfig): TenantProvisioner {
  return new TenantProvisioner({
    db: runtime.db,
    store: runtime.tenants,
    keyring: runtime.keyring,
    directory: runtime.directory,
    schemas: new SchemaManager(runtime.db, runtime.config.database),
    objectStore: runtime.objectStore,
    tenantObjectStores: runtime.tenantObjectStores,
    bucketPrefix: requireObjectStoreConfig(runtime).bucketPrefix,
    regions: config.regions,
  });
}

export const tenantsEntities = [];
