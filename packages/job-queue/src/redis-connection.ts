import { Redis } from 'ioredis';
import { redisConnectionOptions, subscriberConnectionOptions, type RedisConfig } from '@tessera/config';

/**
 * A Redis connection for the job system. `blocking` connections (workers) must let BullMQ wait
 * forever (maxRetriesPerRequest null, BullMQ's requirement); request-path connections fail a
 * command after a few reconnect attempts, so a submit during a Redis outage answers
 * SERVICE_UNAVAILABLE instead of hanging. `subscriber` connections wait like blocking ones and leave
 * resubscribing after a reconnect to their owner (resubscribeAfterReconnect, @tessera/config).
 */
export function openRedis(config: RedisConfig, name: string, mode: 'request' | 'blocking' | 'subscriber'): Redis {
  const redis = new Redis(config.url, {
    ...redisConnectionOptions(config),
    ...(mode === 'subscriber' ? subscriberConnectionOptions : {}),
    connectionName: `${config.keyPrefix}:${name}`,
    maxRetriesPerRequest: mode === 'request' ? 2 : null,
    lazyConnect: false,
  });
  redis.on('error', () => undefined); // ioredis reconnects by itself; commands report failures
  return redis;
}
