import type { RedisConfig } from '@tessera/config';
import { createEventBus } from '@tessera/events';
import type { RedisService } from '@tessera/redis-acl';
import type { ServiceRuntime } from '@tessera/service-kit';

/** Per service, the Redis user it connects as (PlatformConfig.redisByService); others use the shared config. */
export type RedisByService = Partial<Record<RedisService, RedisConfig>>;

export function redisOf(service: RedisService, shared: RedisConfig, byService: RedisByService | undefined): RedisConfig {
  return byService?.[service] ?? shared;
}

/**
 * The shared runtime as one service sees it when that service has its own Redis user: its config
 * names that user (read by the job producer, the live-quota reader, the prediction quotas) and it
 * gets its own event bus over that user (job progress, alerts). Everything else (database pool,
 * object store, tenant access) is the shared runtime's. `close` closes only what the view added.
 */
export function runtimeWithRedis(runtime: ServiceRuntime, redis: RedisConfig): { runtime: ServiceRuntime; close(): Promise<void> } {
  if (redis === runtime.config.redis) return { runtime, close: async () => undefined };
  const events = createEventBus(redis);
  return { runtime: { ...runtime, config: { ...runtime.config, redis }, events }, close: () => events.close() };
}
