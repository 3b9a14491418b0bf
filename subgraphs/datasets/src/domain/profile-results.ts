import type { Principal } from '@tessera/auth';
import type { ServiceRuntime } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';

/**
 * The one method of the jobs port this service calls (typed here: the jobs package depends on this
 * one). The jobs service clears the stored results of the actor's tenant's profile jobs over the
 * named versions, each only once this service's port no longer finds it.
 */
export interface ProfileResultsPort {
  clearProfileResults(actor: Principal, input: { datasetVersionIds: string[] }): Promise<{ cleared: number }>;
}

/** What a delete does with the versions it removed, once its rows are gone. Never throws. */
export interface ProfileResultsClearing {
  afterDelete(scope: TenantScope, datasetId: string, versionIds: readonly string[]): Promise<void>;
}

/** The jobs port takes at most this many ids per call (its `maxProfileClearVersionIds`). */
const versionIdsPerCall = 500;

/**
 * A profile job's result holds values of its dataset version (top values, minimum, maximum), sealed
 * in the jobs table under the tenant's key, so the dataset's crypto-shredding does not reach it: the
 * delete asks the jobs service to clear those results at once, as the deleting principal (the
 * jobs port scopes the call to that principal's tenant). A failed call must not fail the delete,
 * which has already happened: it is logged, and the jobs service's read-time check (a profile of a
 * version its datasets port no longer finds is cleared and answered as null) still keeps the values
 * from being served. `port` undefined: a build without the jobs port (schema-only).
 */
export function profileResultsClearing(port: ProfileResultsPort | undefined, logger: ServiceRuntime['logger'] | undefined): ProfileResultsClearing {
  return {
    async afterDelete(scope, datasetId, versionIds) {
      if (!port || versionIds.length === 0) return;
      let cleared = 0;
      try {
        for (let start = 0; start < versionIds.length; start += versionIdsPerCall) {
          cleared += (await port.clearProfileResults(scope.principal, { datasetVersionIds: versionIds.slice(start, start + versionIdsPerCall) })).cleared;
        }
        if (cleared > 0) logger?.info('Cleared the profile results of a deleted dataset', { tenantId: scope.tenant.id, datasetId, versions: versionIds.length, cleared });
      } catch (error) {
        logger?.error('Could not clear the profile results of a deleted dataset; they are cleared when next read', {
          tenantId: scope.tenant.id,
          datasetId,
          versions: versionIds.length,
          cleared,
          error: error instanceof Error ? error.message : String(error),
          code: (error as { code?: unknown } | null)?.code ?? null,
        });
      }
    },
  };
}
