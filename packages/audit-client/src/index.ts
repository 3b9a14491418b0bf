export { recordAuditEvent, recordTenantAuditEvent, type AuditEventInput, type AuditOutcome } from './audit-event';
export { tenantAuditChain, tenantAuditDetailsTable, drainAuditOutbox } from './audit-outbox';
export { attachChainDetails, hasDetails, type ChainDetailsStore } from './chain-details';
export { recordSecurityEvent, securityChain, drainSecurityOutbox, securityEventColumns, type SecurityEventInput } from './security-event';
export { writableOutboxColumns, outboxColumns } from './outbox-row';
export { eventWriter } from './event-writer';
export { actionOwner, actionOwners, writtenByItsOwner } from './action-owners';
export { canonicalJson, canonicalEvent, chainHash, genesisHash, eventColumns, parseDetails, type ChainRow } from './chain-canonical';
export { relayChain, relayChainOutcome, chainLockName, outboxHasEvents, ChainBusyError, type ChainLocation, type RelayOptions, type RelayOutcome } from './chain-relay';
export { recordResourceOwner, findResourceOwner, controlSchemaOf, controlTable } from './resource-owner';
export { notFoundAcrossTenants, recordCrossTenantAttempt, recordInTenantLog, crossTenantAction } from './cross-tenant';
export { pendingDeferredRecords, recordAfterAnswer, settleDeferredRecords } from './deferred-record';
export {
  ErasureReceiptSigner,
  erasureReceiptType,
  pseudonymSecretFromSigningKey,
  tenantIdHash,
  tenantPseudonym,
  verifyErasureReceiptJws,
  type ErasureAuthorityPort,
  type ErasureReceiptPayload,
  type ReceiptVerification,
  type SecurityLogPseudonymisation,
  type SignedErasureReceipt,
  type UnsignedErasureReceipt,
} from './erasure-receipt';
