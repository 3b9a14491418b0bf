export { startPlatform, type PlatformConfig, type RunningPlatform } from './start-platform';
export { redisOf, runtimeWithRedis, type RedisByService } from './service-redis';
export { subgraphCatalog, subgraphNames, type SubgraphName } from './subgraph-catalog';
export { readGatewayEnvironment, readSubgraphEnvironment, gatewayEnvironment, subgraphEnvironment } from './environment';
