export { startGateway, type RunningGateway, type GatewayDeps } from './server';
export type { GatewayConfig, GatewayAccessConfig, SubgraphEndpoint } from './gateway-config';
export type { RoleSource } from './request-auth';
export { gatewayData } from './tables';
export { readTrustedDocuments, type PersistedDocumentsMode } from './prepared/persisted-documents';
export { parseTrustedProxies, TrustedProxies } from './pipeline/trusted-proxies';
export { defaultTransferPace, type TransferPace } from './transfer-pace';
export { defaultTransferIdleTimeoutMs } from './pipeline/transfer-slots';
export { subscriptionKeepAliveBoundsMs, subscriptionKeepAliveMs } from './subscriptions/subscription-gateway';
// The cross-replica subscription counter, for the Redis ACL test that proves the gateway's user can run it.
export { SharedSubscriptionSlots } from './subscriptions/shared-subscription-slots';
