import { Redis } from 'ioredis';
import { redisConnectionOptions, type RedisConfig } from '@tessera/config';

/**
 * A Redis connection for the job system. `blocking` connections (workers) must let BullMQ wait
 * forever (maxRetriesPerRequest null, BullMQ's requirement); request-path connections fail a
 * command after a few reconnect attempts, so a submit during a Redis outage answers
 * SERVICE_UNAVAILABLE instead of hanging.
 */
export function openRedis(config: RedisConfig, name: string, mode: 'request' | 'blocking'): Redis {
  const redis = new Redis(config.url, {
    ...redisConnectionOptions(config),
    connectionName: `${config.keyPrefix}:${name}`,
    maxRetriesPerRequest: mode === 'blocking' ? null : 2,
    lazyConnect: false,
  });
  redis.on('error', () => undefined); // ioredis reconnects by itself; commands report failures
  return redis;
}
