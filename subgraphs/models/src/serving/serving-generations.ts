import { Redis } from 'ioredis';
import { redisConnectionOptions, type Logger, type RedisConfig } from '@tessera/config';
import { TesseraError } from '@tessera/errors';

/**
 * One counter per tenant in Redis that every change to what `predict` resolves moves forward:
 * an alias set or removed, a version deleted, a model deleted, its serving settings changed.
 * Replicas cache resolutions tagged with the generation they read before going to MySQL, and
 * `predict` compares that tag with the current generation in the same Redis script that counts
 * the prediction (PredictionsPerMinute.admit): no extra round trip, and no pub/sub to miss.
 *
 * The key holds no tenant data, only a number. When it is missing (never bumped, evicted, Redis
 * restarted without persistence) the next bump starts it from Redis's clock in microseconds, so a
 * generation value is never handed out twice and an old tag can never match again.
 */
export function servingGenerationKey(keyPrefix: string, tenantId: string): string {
  return `${keyPrefix}:serving-generation:${tenantId}`;
}

/** What a missing key reads as: tags taken before the first bump. */
export const initialGeneration = '0';

const bumpScript = `
local generation = redis.call('INCR', KEYS[1])
if generation == 1 then
  local now = redis.call('TIME')
  generation = tonumber(now[1]) * 1000000 + tonumber(now[2])
  redis.call('SET', KEYS[1], generation)
end
return tostring(generation)`;

interface RedisWithBump extends Redis {
  bumpServingGeneration(key: string): Promise<string>;
}

export interface ServingGenerationsOptions {
  redis: RedisConfig;
  logger: Logger;
  /** Tries before a change is reported as not yet visible everywhere (default 3, 100 ms apart). */
  attempts?: number;
}

/** Announces serving changes to every replica's resolution cache (see servingGenerationKey). */
export class ServingGenerations {
  private readonly redis: RedisWithBump;
  private readonly pending = new Set<string>();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ServingGenerationsOptions) {
    this.redis = new Redis(options.redis.url, {
      ...redisConnectionOptions(options.redis),
      connectionName: `${options.redis.keyPrefix}:serving-generations`,
      maxRetriesPerRequest: 1,
      commandTimeout: 1_000,
      lazyConnect: true,
    }) as RedisWithBump;
    this.redis.defineCommand('bumpServingGeneration', { numberOfKeys: 1, lua: bumpScript });
    this.redis.on('error', () => undefined); // reconnects by itself; a failed bump is handled below
  }

  /**
   * Call after the change committed, before the mutation answers: once this returns, the next
   * predict on any replica resolves afresh. When Redis cannot be reached the change is saved but
   * replicas may serve the former state until their entries age out (ModelResolutionCache's
   * maxAgeMs), so the caller gets SERVICE_UNAVAILABLE saying so, and the bump keeps being retried.
   */
  async changed(tenantId: string): Promise<void> {
    const attempts = this.options.attempts ?? 3;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.bump(tenantId);
        return;
      } catch (error) {
        if (attempt >= attempts) {
          this.options.logger.error('serving change not announced; replicas may serve the former state until their cache entries expire', {
            tenantId,
            error: error instanceof Error ? error.message : String(error),
          });
          this.retryLater(tenantId);
          throw new TesseraError('SERVICE_UNAVAILABLE', 'The change is saved, but not every models replica could be told yet; it applies everywhere within a minute.', {
            reason: 'SERVING_CHANGE_PENDING',
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private async bump(tenantId: string): Promise<string> {
    if (this.redis.status === 'wait') await this.redis.connect();
    return this.redis.bumpServingGeneration(servingGenerationKey(this.options.redis.keyPrefix, tenantId));
  }

  private retryLater(tenantId: string): void {
    this.pending.add(tenantId);
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const tenants = [...this.pending];
      this.pending.clear();
      for (const id of tenants) void this.bump(id).catch(() => this.retryLater(id));
    }, 1_000);
    this.retryTimer.unref();
  }
}
