import { Redis } from 'ioredis';
import { redisConnectionOptions, type Logger, type RedisConfig } from '@tessera/config';
import { oneTenantChangedChannel, tenantChangedChannel } from '@tessera/tenancy';

export interface TenantChangeAnnouncer {
  /** Tells every service process to drop its cached record of the tenant (after the change committed). */
  tenantChanged(tenantId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Announces a changed tenant record (tier, status, limits) on Redis, awaited before the mutation
 * answers, so every process that heard it has dropped its cached record when the admin sees the
 * answer. If Redis refuses, the change still holds: caches follow within TENANT_CACHE_TTL_MS, and the
 * jobs service's reconciliation moves a re-tiered tenant's queue within JOB_RECONCILE_INTERVAL_MS.
 */
export function createTenantChangeAnnouncer(redis: RedisConfig, logger: Logger): TenantChangeAnnouncer {
  let client: Redis | undefined;
  const connect = () => {
    if (!client) {
      client = new Redis(redis.url, { ...redisConnectionOptions(redis), connectionName: `${redis.keyPrefix}:tenants-changes`, lazyConnect: true, maxRetriesPerRequest: 1 });
      client.on('error', () => undefined); // reconnects by itself; a failed publish is logged below
    }
    return client;
  };
  return {
    async tenantChanged(tenantId) {
      try {
        const message = JSON.stringify({ tenantId });
        // Every service hears the shared channel; a dedicated tenant's workers only their tenant's.
        await connect().pipeline().publish(tenantChangedChannel(redis.keyPrefix), message).publish(oneTenantChangedChannel(redis.keyPrefix, tenantId), message).exec().then((results) => {
          const failed = results?.find(([error]) => error);
          if (failed) throw failed[0];
        });
      } catch (error) {
        logger.warn('could not announce a tenant change; services follow within their tenant cache lifetime', { tenantId, error: error instanceof Error ? error.message : String(error) });
      }
    },
    async close() {
      await client?.quit().catch(() => client?.disconnect());
    },
  };
}
