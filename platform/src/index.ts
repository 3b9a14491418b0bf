export { startPlatform, subgraphTls, databaseOf, type PlatformConfig, type RunningPlatform } from './start-platform';
export { subgraphModules, subgraphModule, subgraphNames, serviceData, isSubgraphName, portsCalledBy, portCallersOf, portOwnerNames, publishedPort, type CatalogOptions, type PortOwnerName, type SubgraphName } from './subgraph-catalog';
export { readGatewayEnvironment, readSubgraphEnvironment, readMigratorEnvironment, gatewayEnvironment, subgraphEnvironment, subgraphVariableGroupsOf, migratorEnvironment, masterKeyImportEnvironment, readMasterKeyImportEnvironment } from './environment';
export { inProcessPorts, remotePorts, absentPort, withAbsentPorts, portUrlVariable, type ServicePorts } from './service-ports';
export { redisOf, runtimeWithRedis, type RedisByService } from './service-redis';
export { runSelftest, graphqlEndpoint, type SelftestOptions } from './selftest/run-selftest';
export { runSelftestCommand, selftestUsage } from './selftest/command';
export { parseCredential, type Credential } from './selftest/credentials';
export type { SelftestReport, CheckResult } from './selftest/report';
