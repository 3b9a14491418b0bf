import type { DataSource } from 'typeorm';
import { drainAuditOutbox } from '@tessera/audit-client';
import type { TenantScope } from '@tessera/tenancy';
import type { ChainActivity } from './chain-activity';
import { auditDetailsOf, type DetailsKeyring } from './audit-details';

/**
 * Chains everything the tenant's outbox held when called. `background`: a periodic pass that skips
 * the chain when another relay holds it (that relay is doing the work) instead of waiting for it.
 */
export type AuditRelay = (scope: TenantScope, options?: { background?: boolean }) => Promise<void>;

/**
 * Services write audit events into an outbox; the chain (`audit_events`) is what queries, exports
 * and alerting read. Draining first means an answer covers every event committed before the
 * request, even if the background relay has not run yet. With `activity`, what a drain chains is
 * reported there, so alerting evaluates it without waiting for its full sweep; alerting's own
 * drain (which evaluates what it chained at once) is built without.
 */
export function createAuditRelay(db: DataSource, keyring: DetailsKeyring, activity?: ChainActivity): AuditRelay {
  return async (scope, options = {}) => {
    const chained = await drainAuditOutbox(db, scope.tenant.id, auditDetailsOf(keyring, scope.tenant.id), options.background ? { waitForLockSeconds: 0 } : {});
    activity?.chained(scope.tenant.id, chained);
  };
}
