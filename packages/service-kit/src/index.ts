export { createSubgraphContext, type SubgraphContext } from './subgraph-context';
export { createServiceRuntime, requireObjectStoreConfig, type ServiceRuntime, type ServiceRuntimeConfig } from './service-runtime';
export { endWithRefusal, listen, type ListenOptions, type RefusalHeaders, type RunningHttpServer } from './http-server';
export { watchBodyDeadline, type BodyDeadlineOptions } from './body-deadline';
export { certificateIdentity, mutualTlsClientOptions, peerCertificateThumbprint, peerIdentity, type ServerTls, type TlsIdentities, type TlsIdentity } from './tls';
export { tracingMiddleware } from './tracing-middleware';
export { startSubgraph, buildProtectedSchema, type SubgraphDefinition, type RouteTools, type PlainRoute, type RunningSubgraph, type SubgraphServerOptions } from './subgraph-server';
export { readJsonObject } from './json-body';
export type { GraphQLResolverMap } from './resolver-map';
export * from './pagination';
export * from './graphql-files';
export { parseUuid } from './ids';
export { mountHealthRoutes, sharedProbe, readinessReuseMs } from './health-routes';
export { attachSubscriptionServer, maxSubscriptionMessageBytes, subscriptionCloseCodes, type SubgraphConnectionParams, type SubscriptionServer } from './subscription-server';
export { parseResourceName, parseDescription, parseFilename } from './resource-input';
export { parseDateTimeInput, isCalendarDay } from './date-time-input';
export { assertClaimable, assertDeclaredLength, claimStagedUpload, markStagedUploadFailed, parseDeclaredUploadBytes, type StagedUploadRow } from './staged-upload';
export { compactJson } from './compact-json';
export { isDuplicateKey } from './duplicate-key';
export * from './ports';
export { type SubgraphModule, type EnvironmentGroup, type PublishedPortFace } from './subgraph-module';
export { tlsVariables, toTlsFiles, readTlsFiles, type TlsFiles } from './tls-files';
export { reencryptTableObjects, reencryptPrefixObjects, assertReencryptionInput, maxReencryptionBatch, type ObjectReencryptionInput, type ObjectReencryptionProgress } from './object-reencryption';
export { FamilyKeys, familyKeyVersion, familyKeyVersionBase, familyHeaderVersion, familyVersionOf, isFamilyHeaderVersion, type FamilyKeyTable, type FamilyKeyVersionRow } from './family-keys';
export {
  FamilyKeyOperations,
  familyKeyScanTurns,
  datasetKeyFamily,
  modelKeyFamily,
  type KeyFamily,
  type FamilyKeyInput,
  type FamilyKeyReport,
  type FamilyReencryptionInput,
  type FamilyReencryptionProgress,
  type FamilyKeyVersionInput,
} from './family-key-rotation';
export {
  ColumnSealer,
  scopeColumnKeys,
  sealWithKey,
  openWithKeys,
  isSealedText,
  sealedKeyVersion,
  sealedJsonColumnValue,
  sealedPrefix,
  sealedValueRejected,
  type ColumnKeys,
  type SealedCell,
  type SealedOr,
  type SealedText,
  type SealingKey,
} from './sealed-columns';
export { resealColumn, resealColumns, sealLegacyColumn, storedSealed, legacyClearVersion, type SealedColumnSpec } from './sealed-column-store';
export { SealedColumnBackfill, type SealedColumnBackfillDeps } from './sealed-column-backfill';
export { auditDetailsColumn, keyringColumnKeys, sealedAuditDetails } from './sealed-audit-details';
export { TenantTurns, type TenantTurnsOptions, type TenantTurnsRefusal, type ReleaseTurn } from './tenant-turns';
export { createTenantChangeListener, type TenantChangeListenerDeps } from './tenant-change-listener';
export { answerAndClose } from './answer-and-close';
