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

/** What a delete does with the versions it removed, once its rows are gone. `afterDelete` never throws. */
export interface ProfileResultsClearing {
  afterDelete(scope: TenantScope, datasetId: string, versionIds: readonly string[]): Promise<void>;
  /** Drops the retries still waiting (the process is stopping; the read-time check remains). */
  close(): void;
}

/**
 * `waitMs`: how long the delete's answer waits for the first attempt (a jobs service that hangs
 * instead of refusing would otherwise hold it for the port client's 30 s timeout; the attempt goes
 * on after the answer). Retries of a call that failed, in this process only: `delaysMs` between
 * attempts, and at most `maxPending` deletes waiting at once (a long outage of the jobs service must
 * not grow memory without bound; the ones beyond are left to the read-time check).
 */
export interface ProfileClearingRetry {
  waitMs?: number;
  delaysMs: readonly number[];
  maxPending: number;
}

export const defaultProfileClearingRetry: ProfileClearingRetry = { waitMs: 5_000, delaysMs: [2_000, 15_000, 60_000], maxPending: 1_000 };

/** The jobs port takes at most this many ids per call (its `maxProfileClearVersionIds`). */
const versionIdsPerCall = 500;

/**
 * A profile job's result holds values of its dataset version (top values, minimum, maximum), sealed
 * in the jobs table under the tenant's key, so the dataset's crypto-shredding does not reach it: the
 * delete asks the jobs service to clear those results at once, as the deleting principal (the jobs
 * port scopes the call to that principal's tenant). A failed call must not fail the delete, which
 * has already happened: it is logged and retried a few times in the background (clearing twice is
 * harmless), and the jobs service's read-time check (a profile of a version its datasets port no
 * longer finds is cleared and answered as null) keeps the values from being served meanwhile, or
 * for good if every attempt fails or the process stops. `port` undefined: a build without the jobs
 * port (schema-only).
 */
export function profileResultsClearing(port: ProfileResultsPort | undefined, logger: ServiceRuntime['logger'] | undefined, retry: ProfileClearingRetry = defaultProfileClearingRetry): ProfileResultsClearing {
  const waiting = new Set<NodeJS.Timeout>();
  let closed = false;

  const clear = async (principal: Principal, versionIds: readonly string[]) => {
    let cleared = 0;
    for (let start = 0; start < versionIds.length; start += versionIdsPerCall) {
      cleared += (await port!.clearProfileResults(principal, { datasetVersionIds: versionIds.slice(start, start + versionIdsPerCall) })).cleared;
    }
    return cleared;
  };

  const attempt = async (principal: Principal, fields: Record<string, unknown>, versionIds: readonly string[], attempts: number): Promise<void> => {
    try {
      const cleared = await clear(principal, versionIds);
      if (cleared > 0 || attempts > 1) logger?.info('Cleared the profile results of a deleted dataset', { ...fields, cleared, attempts });
    } catch (error) {
      const failure = { ...fields, attempts, error: error instanceof Error ? error.message : String(error), code: (error as { code?: unknown } | null)?.code ?? null };
      const delay = retry.delaysMs[attempts - 1];
      if (delay === undefined || closed || waiting.size >= retry.maxPending) {
        logger?.error('Could not clear the profile results of a deleted dataset; they are cleared when next read', failure);
        return;
      }
      logger?.warn('Could not clear the profile results of a deleted dataset yet; retrying', { ...failure, retryInMs: delay });
      const timer = setTimeout(() => {
        waiting.delete(timer);
        void attempt(principal, fields, versionIds, attempts + 1);
      }, delay);
      timer.unref();
      waiting.add(timer);
    }
  };

  return {
    async afterDelete(scope, datasetId, versionIds) {
      if (!port || versionIds.length === 0) return;
      const first = attempt(scope.principal, { tenantId: scope.tenant.id, datasetId, versions: versionIds.length }, [...versionIds], 1);
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, retry.waitMs ?? defaultProfileClearingRetry.waitMs);
        timer.unref();
      });
      await Promise.race([first, waited]);
      clearTimeout(timer);
    },
    close() {
      closed = true;
      for (const timer of waiting) clearTimeout(timer);
      waiting.clear();
    },
  };
}
