export { startGateway, type RunningGateway, type GatewayDeps } from './server';
export type { GatewayConfig, SubgraphEndpoint } from './gateway-config';
export { gatewayData } from './tables';
