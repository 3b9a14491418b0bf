import { Redis } from 'ioredis';
import { redisConnectionOptions, type Logger, type RedisConfig } from '@tessera/config';
import { errors } from '@tessera/errors';
import { LiveQuotaKeys, minuteMs, minuteOf } from '@tessera/quotas';

export interface PredictionsPerMinuteOptions {
  redis: RedisConfig;
  logger: Logger;
  /** The clock (tests pin it, so a minute boundary cannot fall inside a test). */
  now?: () => number;
  /** After a Redis failure, how long this replica counts alone before trying Redis again (default 5 s). */
  localAfterFailureMs?: number;
}

/** One counter per tenant and minute (keyed by LiveQuotaKeys, which tenantUsage reads); it outlives its minute by one more, then Redis drops it. */
const counterTtlMs = 2 * minuteMs;

/**
 * Checks and counts in one step, so two replicas can never both take the last prediction of a minute:
 * a refused call does not count.
 */
const takeScript = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return {0, used} end
used = redis.call('INCR', KEYS[1])
if used == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {1, used}`;

type TakeReply = [number, number];

interface RedisWithTake extends Redis {
  takePrediction(key: string, limit: number, ttlMs: number): Promise<TakeReply>;
}

/**
 * `predictionsPerMinute`, across every models-service replica: one counter per tenant per minute in
 * Redis, checked and incremented by one atomic script per prediction.
 *
 * Why a Redis round trip per call rather than the gateway's periodic sync of local buckets
 * (gateway/src/shared-rate-limit.ts): the gateway sees every request of the platform and has no
 * other I/O on its hot path, so it avoids Redis there and accepts overshoot. A prediction already
 * costs a MySQL query (resolving the version) and an IPC round trip to an inference process; one
 * EVALSHA is small next to that, and buys an exact limit — no overshoot however many replicas
 * serve the tenant, which matters for a small limit (e.g. a trial tenant's 10 per minute) that a
 * sync interval could overshoot several times over.
 *
 * Redis unreachable: this replica counts alone (a local counter per tenant and minute) for
 * `localAfterFailureMs`, then tries Redis again — predictions keep being served, limited per replica.
 */
export class PredictionsPerMinute {
  private readonly redis: RedisWithTake;
  private readonly local = new Map<string, { window: number; used: number }>();
  private readonly keys: LiveQuotaKeys;
  private redisRetryAt = 0;

  constructor(private readonly options: PredictionsPerMinuteOptions) {
    this.keys = new LiveQuotaKeys(options.redis.keyPrefix);
    this.redis = new Redis(options.redis.url, {
      ...redisConnectionOptions(options.redis),
      connectionName: `${options.redis.keyPrefix}:predictions-per-minute`,
      maxRetriesPerRequest: 1,
      commandTimeout: 1_000,
      lazyConnect: true,
    }) as RedisWithTake;
    this.redis.defineCommand('takePrediction', { numberOfKeys: 1, lua: takeScript });
    this.redis.on('error', () => undefined); // reconnects by itself; a failed call is logged below
  }

  /** Counts one prediction of the tenant, or throws QUOTA_EXCEEDED (`predictionsPerMinute`) with the minute's usage. */
  async take(tenantId: string, limit: number): Promise<void> {
    const now = this.options.now?.() ?? Date.now();
    const window = minuteOf(now);
    const [admitted, used] = (await this.takeShared(tenantId, window, limit)) ?? this.takeLocal(tenantId, window, limit);
    if (admitted) return;
    throw errors.quotaExceeded(`This tenant has used its ${limit} predictions for this minute; retry after the minute ends.`, {
      quota: 'predictionsPerMinute',
      limit,
      used,
      retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * minuteMs - now) / 1000)),
    });
  }

  async close(): Promise<void> {
    // quit() on a connection that is not up would wait for a reconnect that may never come.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private async takeShared(tenantId: string, window: number, limit: number): Promise<[boolean, number] | undefined> {
    if (Date.now() < this.redisRetryAt) return undefined;
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      const [admitted, used] = await this.redis.takePrediction(this.keys.predictionsPerMinute(tenantId, window), limit, counterTtlMs);
      if (this.redisRetryAt !== 0) {
        this.redisRetryAt = 0;
        this.options.logger.info('predictions per minute: Redis reachable again');
      }
      return [admitted === 1, used];
    } catch (error) {
      if (this.redisRetryAt === 0) {
        this.options.logger.warn('predictions per minute: Redis unreachable; counting per replica for now', { error: error instanceof Error ? error.message : String(error) });
      }
      this.redisRetryAt = Date.now() + (this.options.localAfterFailureMs ?? 5_000);
      return undefined;
    }
  }

  private takeLocal(tenantId: string, window: number, limit: number): [boolean, number] {
    const entry = this.local.get(tenantId);
    const used = entry?.window === window ? entry.used : 0;
    if (used >= limit) return [false, used];
    this.local.set(tenantId, { window, used: used + 1 });
    // Only the current minute matters: drop the others now and then, so the map stays small.
    if (this.local.size > 10_000) for (const [id, counted] of this.local) if (counted.window !== window) this.local.delete(id);
    return [true, used + 1];
  }
}
