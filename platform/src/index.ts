export { startPlatform, subgraphTls, type PlatformConfig, type RunningPlatform } from './start-platform';
export { subgraphCatalog, subgraphNames, type SubgraphName } from './subgraph-catalog';
export { readGatewayEnvironment, readSubgraphEnvironment, gatewayEnvironment, subgraphEnvironment, subgraphVariableGroupsOf } from './environment';
export { inProcessPorts, remotePorts, absentPort, type ServicePorts } from './service-ports';
export { portsCalledBy } from './subgraph-catalog';
