// The receipt format lives with the audit client: the audit service signs receipts, the tenants service asks it to.
export { ErasureReceiptSigner, erasureReceiptType, pseudonymSecretFromSigningKey, tenantIdHash, tenantPseudonym, verifyErasureReceiptJws, type ErasureReceiptPayload, type ReceiptVerification } from '@tessera/audit-client';
