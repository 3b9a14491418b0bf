import { tenantAuditDetailsTable, type ChainDetailsStore } from '@tessera/audit-client';
import { sealingKeyWithin, type TenantKeyring } from '@tessera/tenancy';
import { ColumnSealer, sealWithKey, type ColumnKeys } from './sealed-columns';
import type { SealedColumnSpec } from './sealed-column-store';

/** The side table of a tenant's audit chain (see @tessera/audit-client chain-details.ts): sealed like any column. */
export const auditDetailsColumn: SealedColumnSpec = { table: 'audit_event_details', idColumn: 'seq', column: 'details', versionColumn: 'key_version', storage: 'text' };

const cellOf = (seq: number) => ({ table: auditDetailsColumn.table, column: auditDetailsColumn.column, rowId: String(seq) });

/** A tenant's keys straight from the keyring (the audit relay works per tenant id, without a request scope). */
export function keyringColumnKeys(keyring: Pick<TenantKeyring, 'currentKey' | 'keyFor'>, tenantId: string): ColumnKeys {
  return { tenantId, sealingKey: (within) => sealingKeyWithin(within, keyring, tenantId), keyFor: (version) => keyring.keyFor(tenantId, version) };
}

/**
 * Seals a tenant chain's event details with the tenant's current data key, one key lookup per relay
 * batch, taken inside the batch's transaction (which holds the tenant's data-key floor until the
 * details are committed).
 */
export function sealedAuditDetails(keys: ColumnKeys): ChainDetailsStore {
  const sealer = new ColumnSealer(keys);
  return {
    table: tenantAuditDetailsTable(keys.tenantId),
    async seal(events, within) {
      if (events.length === 0) return [];
      const key = await keys.sealingKey(within);
      return events.map((event) => ({ seq: event.seq, stored: sealWithKey(event.details, key, keys.tenantId, cellOf(event.seq)), keyVersion: key.keyVersion }));
    },
    open: (seq, stored) => sealer.openJson<unknown>(stored, cellOf(seq)),
  };
}
