export { tenantsSubgraph, createProvisioner, tenantsEntities, type TenantsConfig } from './server';
export { tenantsModule, type TenantsModuleOptions } from './module';
export { tenantsData } from './tables';
