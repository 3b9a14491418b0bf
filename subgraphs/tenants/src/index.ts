export { tenantsSubgraph, createProvisioner, tenantsEntities, type TenantsConfig } from './server';
