export { startPlatform, databaseOf, type PlatformConfig, type RunningPlatform } from './start-platform';
export { subgraphModules, subgraphModule, subgraphNames, serviceData, isSubgraphName, type CatalogOptions, type SubgraphName } from './subgraph-catalog';
export { readGatewayEnvironment, readSubgraphEnvironment, readMigratorEnvironment, gatewayEnvironment, subgraphEnvironment, migratorEnvironment } from './environment';
