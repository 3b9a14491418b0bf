export { startPlatform, subgraphTls, databaseOf, type PlatformConfig, type RunningPlatform } from './start-platform';
export { subgraphModules, subgraphModule, subgraphNames, serviceData, isSubgraphName, portsCalledBy, portCallersOf, type CatalogOptions, type SubgraphName } from './subgraph-catalog';
export { readGatewayEnvironment, readSubgraphEnvironment, readMigratorEnvironment, gatewayEnvironment, subgraphEnvironment, subgraphVariableGroupsOf, migratorEnvironment } from './environment';
export { inProcessPorts, remotePorts, absentPort, withAbsentPorts, type ServicePorts } from './service-ports';
export { redisOf, runtimeWithRedis, type RedisByService } from './service-redis';
