import type { DataSource } from 'typeorm';
import { quoteIdentifier, tenantDatabase, tenantSchemaName } from '@tessera/tenancy';
import { eventColumns } from './chain-canonical';
import type { ChainDetailsStore } from './chain-details';
import { relayChain, type ChainLocation, type RelayOptions } from './chain-relay';

/** The side table a tenant chain keeps its sealed details in (schema-qualified). */
export function tenantAuditDetailsTable(tenantId: string): string {
  return `${quoteIdentifier(tenantSchemaName(tenantId))}.audit_event_details`;
}

/**
 * A tenant's audit chain: `audit_outbox` → `audit_events`, in the tenant's schema, with its
 * details sealed in `audit_event_details` by `details` (required: whatever relays a tenant chain
 * must seal, since the chain table cannot be changed afterwards).
 */
export function tenantAuditChain(tenantId: string, details: ChainDetailsStore): ChainLocation {
  const schema = quoteIdentifier(tenantSchemaName(tenantId));
  return { chainId: `tenant:${tenantId}`, outboxTable: `${schema}.audit_outbox`, eventsTable: `${schema}.audit_events`, columns: eventColumns, details };
}

/**
 * Chains every event of the tenant's outbox that was committed before the call (waits for a
 * relay that holds the chain). Call it before reading the chain when "everything so far" matters:
 * verification, checkpoints, tests. Returns how many events it chained. `db`: the service's pool;
 * the chain is relayed on the server holding the tenant's schema.
 */
export async function drainAuditOutbox(db: DataSource, tenantId: string, details: ChainDetailsStore, options: RelayOptions = {}): Promise<number> {
  return relayChain(await tenantDatabase(db, tenantId), tenantAuditChain(tenantId, details), { waitForLockSeconds: 30, ...options });
}
