import { Redis } from 'ioredis';
import { redisConnectionOptions, type Logger, type RedisConfig } from '@tessera/config';
import { accessChangesChannel } from '../ports/access-changes';
import { tenantErasedChannel } from '../ports/tenant-erasures';

export interface ErasureAnnouncer {
  /** Tells every models replica to drop what it holds of the tenant; how many subscribers heard it. */
  tenantErased(tenantId: string): Promise<number>;
  /** Tells every gateway replica to drop the tenant's cached members and API keys (as an access change does). */
  accessChanged(tenantId: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Announces an erasure on Redis. A failed publish fails the step (the runner retries it): unlike an
 * access change, nothing else bounds how long a replica would keep the tenant's model in memory.
 * Replicas that were disconnected meanwhile reconcile on reconnect (they drop pools of tenants
 * that no longer exist), so delivery to all of them does not rest on this one message.
 */
export function createErasureAnnouncer(redis: RedisConfig, logger: Logger): ErasureAnnouncer {
  let client: Redis | undefined;
  const connect = () => {
    if (!client) {
      client = new Redis(redis.url, { ...redisConnectionOptions(redis), connectionName: `${redis.keyPrefix}:tenants-erasure`, lazyConnect: true, maxRetriesPerRequest: 1 });
      client.on('error', (error: Error) => logger.debug('erasure announcer: Redis error', { error: error.message }));
    }
    return client;
  };
  return {
    tenantErased: (tenantId) => connect().publish(tenantErasedChannel(redis.keyPrefix), JSON.stringify({ tenantId })),
    accessChanged: (tenantId) => connect().publish(accessChangesChannel(redis.keyPrefix), JSON.stringify({ tenantId })),
    async close() {
      await client?.quit().catch(() => client?.disconnect());
    },
  };
}
