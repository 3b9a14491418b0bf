export { tenantsSubgraph, createProvisioner, createErasureRunner, tenantsEntities, type TenantsConfig } from './server';
export { tenantsModule, type TenantsModuleOptions } from './module';
export { tenantsData } from './tables';
export type { RewrapperOptions, RewrapRun } from './domain/data-key-rewrapper';
export { erasureVariables, toErasureConfig, defaultErasureGraceHours, type ErasureConfig } from './erasure-environment';
