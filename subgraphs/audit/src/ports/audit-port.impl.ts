import { assertPermission } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { parsePortTimeRange, type PortMethods, type PublishedPort } from '@tessera/service-kit';
import type { TenantScopeFactory } from '@tessera/tenancy';
import { countDataReadsPerSlot, countEvents, firstDataReadAt } from '../data/audit-volume.repository';
import { reencryptAuditData } from '../domain/audit-reencryption';
import type { ErasureAuthorityPort } from '@tessera/audit-client';
import { auditPortCallers, type AuditPort } from './audit-port';

const maxSeriesRangeMs = 92 * 24 * 3600 * 1000;

/** The audit port over this service's own tables, entered through the actor's TenantScope; erasure's part needs no scope (the tenant is going or gone). */
export function createAuditPort(scopes: TenantScopeFactory, erasure: ErasureAuthorityPort): AuditPort {
  return {
    reencryptObjects: (actor, input) => reencryptAuditData(scopes, actor, input),
    pseudonymiseSecurityLog: (actor, input) => erasure.pseudonymiseSecurityLog(actor, input),
    signErasureReceipt: (actor, input) => erasure.signErasureReceipt(actor, input),

    async eventCount(actor) {
      assertPermission(actor, 'read');
      const scope = await scopes.forPrincipal(actor);
      return scope.db((manager) => countEvents(manager));
    },

    // The anomaly detector reads the series as the tenant's system actor, which holds no role:
    // the answer is the tenant's own counts (no events), and only the metrics service may ask.
    async dataReadSeries(actor, input) {
      const { from, to } = parsePortTimeRange(input, maxSeriesRangeMs);
      const bucketSeconds = input?.bucketSeconds;
      if (typeof bucketSeconds !== 'number' || !Number.isInteger(bucketSeconds) || bucketSeconds < 1 || bucketSeconds > 3600) {
        throw errors.badInput('bucketSeconds must be an integer between 1 and 3600.', { field: 'bucketSeconds' });
      }
      const scope = await scopes.forPrincipal(actor);
      return scope.db((manager) => countDataReadsPerSlot(manager, from, to, bucketSeconds));
    },

    async dataReadSeriesStart(actor) {
      const scope = await scopes.forPrincipal(actor);
      return scope.db((manager) => firstDataReadAt(manager));
    },
  };
}

/** The audit port as this service publishes it to other processes. */
export function publishedAuditPort(port: AuditPort): PublishedPort<AuditPort> {
  return { name: 'audit', implementation: port as PortMethods<AuditPort>, callers: auditPortCallers };
}
