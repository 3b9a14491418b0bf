import type { Logger, RedisConfig } from '@tessera/config';
import { createChannelListener, type ChannelListener } from '@tessera/events';
import { oneTenantChangedChannel, parseTenantChanged, tenantChangedChannel, type TenantDirectory } from '@tessera/tenancy';

export interface TenantChangeListenerDeps {
  redis: RedisConfig;
  directory: Pick<TenantDirectory, 'invalidate' | 'clear'>;
  logger: Logger;
  /** What else the service does when a tenant's record changed (after its cached entry is dropped), e.g. the jobs service's queue routing. */
  onChanged?: ((tenantId: string) => Promise<void>) | undefined;
  /** A process that serves this one tenant (a dedicated worker) listens on that tenant's own channel. */
  onlyTenant?: string | undefined;
}

/**
 * Drops a tenant's cached record (TenantDirectory) as soon as the tenants service announces a
 * change of it, so a tier change, suspension or limit change bites in this process at once, not
 * after TENANT_CACHE_TTL_MS. After an interruption of the subscription every cached record goes
 * (announcements may have been missed). Without Redis the cache lifetime still bounds the delay.
 */
export function createTenantChangeListener(deps: TenantChangeListenerDeps): ChannelListener {
  const pending = new Set<Promise<void>>();
  // One run per tenant at a time: two quick changes' runs side by side could finish in the wrong
  // order (the older one's routing last). A change announced during a run asks for one more run
  // after it, which re-reads the tenant, so the last run always acts on the latest record, and a
  // burst of announcements for one tenant costs at most two runs.
  const running = new Map<string, { again: boolean }>();
  const run = (tenantId: string) => {
    const onChanged = deps.onChanged;
    if (!onChanged) return;
    const current = running.get(tenantId);
    if (current) {
      current.again = true;
      return;
    }
    const state = { again: false };
    running.set(tenantId, state);
    const work = (async () => {
      do {
        state.again = false;
        await onChanged(tenantId).catch((error: unknown) =>
          deps.logger.warn('could not act on a changed tenant; the periodic reconciliation does', { tenantId, error: error instanceof Error ? error.message : String(error) }),
        );
      } while (state.again);
    })().finally(() => running.delete(tenantId));
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  const listener = createChannelListener(deps.redis, {
    name: 'tenant-changes',
    channel: deps.onlyTenant === undefined ? tenantChangedChannel(deps.redis.keyPrefix) : oneTenantChangedChannel(deps.redis.keyPrefix, deps.onlyTenant),
    onMessage: (message) => {
      const changed = parseTenantChanged(message);
      if (!changed || (deps.onlyTenant !== undefined && changed.tenantId !== deps.onlyTenant)) return;
      deps.directory.invalidate(changed.tenantId);
      run(changed.tenantId);
    },
    onResubscribed: () => deps.directory.clear(),
    onRefused: (error) =>
      deps.logger.warn('tenant changes are not announced to this process (Redis); cached tenant records follow within TENANT_CACHE_TTL_MS', { error: error instanceof Error ? error.message : String(error) }),
  });
  return {
    start: () => listener.start(),
    async close() {
      await listener.close();
      await Promise.allSettled([...pending]);
    },
  };
}
