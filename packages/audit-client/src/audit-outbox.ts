import type { DataSource } from 'typeorm';
import { quoteIdentifier, tenantDatabase, tenantSchemaName } from '@tessera/tenancy';
import { eventColumns } from './chain-canonical';
import { relayChain, type ChainLocation, type RelayOptions } from './chain-relay';

/** A tenant's audit chain: `audit_outbox` → `audit_events`, in the tenant's schema. */
export function tenantAuditChain(tenantId: string): ChainLocation {
  const schema = quoteIdentifier(tenantSchemaName(tenantId));
  return { chainId: `tenant:${tenantId}`, outboxTable: `${schema}.audit_outbox`, eventsTable: `${schema}.audit_events`, columns: eventColumns };
}

/**
 * Chains every event of the tenant's outbox that was committed before the call (waits for a
 * relay that holds the chain). Call it before reading the chain when "everything so far" matters:
 * verification, checkpoints, tests. Returns how many events it chained. `db`: the service's pool;
 * the chain is relayed on the server holding the tenant's schema.
 */
export async function drainAuditOutbox(db: DataSource, tenantId: string, options: RelayOptions = {}): Promise<number> {
  return relayChain(await tenantDatabase(db, tenantId), tenantAuditChain(tenantId), { waitForLockSeconds: 30, ...options });
}
