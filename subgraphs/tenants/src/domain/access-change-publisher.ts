import { Redis } from 'ioredis';
import { redisConnectionOptions, type Logger, type RedisConfig } from '@tessera/config';
import { accessChangedHeader, accessChangesChannel, parseAccessChangedHeader } from '../ports/access-changes';

export interface AccessChangePublisher {
  /** Tells every gateway replica to forget what it cached of the tenant's members and keys. */
  tenantChanged(tenantId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Announces membership and key changes on Redis after they commit. Awaited before the mutation
 * answers, so the gateways have dropped their cached entries by the time the admin sees "done";
 * if Redis is down the change still holds and the gateways' cache lifetime bounds the delay.
 */
export function createAccessChangePublisher(redis: RedisConfig, logger: Logger): AccessChangePublisher {
  const client = new Redis(redis.url, { ...redisConnectionOptions(redis), connectionName: `${redis.keyPrefix}:tenants-access`, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // reconnects by itself; a failed publish is logged below
  const channel = accessChangesChannel(redis.keyPrefix);
  return {
    async tenantChanged(tenantId) {
      try {
        await client.publish(channel, JSON.stringify({ tenantId }));
      } catch (error) {
        logger.warn('could not announce an access change; gateways follow within their cache lifetime', { tenantId, error: error instanceof Error ? error.message : String(error) });
      }
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * The publisher for one request: each change is also added to the request's answer
 * (accessChangedHeader), before it is announced, so the gateway that carried the request forgets
 * the tenant's cached access whatever the order in which Redis delivers the announcement.
 */
export function namedInAnswer(publisher: AccessChangePublisher, responseHeaders: Map<string, string>): AccessChangePublisher {
  return {
    async tenantChanged(tenantId) {
      const named = new Set(parseAccessChangedHeader(responseHeaders.get(accessChangedHeader)));
      named.add(tenantId);
      responseHeaders.set(accessChangedHeader, [...named].join(','));
      await publisher.tenantChanged(tenantId);
    },
    // The shared publisher is closed with the service, never by one request.
    close: async () => undefined,
  };
}
