export { startPlatform, subgraphTls, type PlatformConfig, type RunningPlatform } from './start-platform';
export { subgraphCatalog, subgraphNames, type SubgraphName } from './subgraph-catalog';
export { readGatewayEnvironment, readSubgraphEnvironment, gatewayEnvironment, subgraphEnvironment } from './environment';
