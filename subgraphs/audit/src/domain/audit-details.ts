import { tenantAuditChain, type ChainDetailsStore, type ChainLocation } from '@tessera/audit-client';
import { keyringColumnKeys, scopeColumnKeys, sealedAuditDetails } from '@tessera/service-kit';
import type { TenantKeyring, TenantScope } from '@tessera/tenancy';

/** What the audit service needs of the keyring to seal and open event details. */
export type DetailsKeyring = Pick<TenantKeyring, 'currentKey' | 'keyFor'>;

/** A tenant chain's details, sealed with the tenant's data key (see @tessera/audit-client chain-details.ts). */
export function auditDetailsOf(keyring: DetailsKeyring, tenantId: string): ChainDetailsStore {
  return sealedAuditDetails(keyringColumnKeys(keyring, tenantId));
}

/** The same, for the tenant a request scope acts for. */
export function scopeAuditDetails(scope: TenantScope): ChainDetailsStore {
  return sealedAuditDetails(scopeColumnKeys(scope));
}

/** A tenant's chain as the audit service relays, reads and verifies it. */
export function tenantChainOf(keyring: DetailsKeyring, tenantId: string): ChainLocation {
  return tenantAuditChain(tenantId, auditDetailsOf(keyring, tenantId));
}
