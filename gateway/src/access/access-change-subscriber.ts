import { Redis } from 'ioredis';
import { redisConnectionOptions, resubscribeAfterReconnect, subscriberConnectionOptions, type Logger, type RedisConfig } from '@tessera/config';
import { accessChangesChannel, parseAccessChange } from '@tessera/tenants/ports';
import type { AccessCache } from './access-cache';

/**
 * Listens for the tenants service's announcements of membership and key changes and drops the
 * tenant's cached entries. After any interruption of the subscription (announcements may have been
 * missed) the whole cache goes: correctness never depends on a message arriving.
 */
export class AccessChangeSubscriber {
  private readonly client: Redis;

  constructor(
    private readonly cache: AccessCache,
    private readonly redis: RedisConfig,
    private readonly logger: Logger,
  ) {
    this.client = new Redis(redis.url, { ...redisConnectionOptions(redis), ...subscriberConnectionOptions, connectionName: `${redis.keyPrefix}:gateway-access`, lazyConnect: true });
    this.client.on('error', () => undefined); // reconnects by itself
    this.client.on('message', (channel: string, message: string) => {
      const change = parseAccessChange(message);
      if (change) this.cache.forgetTenant(change.tenantId);
    });
    this.client.on('ready', () => this.cache.forgetAll());
    resubscribeAfterReconnect(this.client, () => [accessChangesChannel(this.redis.keyPrefix)], (error) =>
      this.logger.warn('access changes are no longer announced to this gateway (Redis refused the subscription); memberships and keys follow the tenants service\'s answers here and the cache lifetime', { error: error instanceof Error ? error.message : String(error) }),
    );
  }

  /** Subscribes before the gateway serves; without Redis the cache lifetime alone bounds staleness. */
  async start(): Promise<void> {
    try {
      await this.client.connect();
      await this.client.subscribe(accessChangesChannel(this.redis.keyPrefix));
    } catch (error) {
      this.logger.warn('access changes are not announced to this gateway (Redis); memberships and keys follow within the cache lifetime', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
