import { Redis } from 'ioredis';
import type { Logger, RedisConfig } from '@tessera/config';
import { LiveQuotaKeys, minuteMs, minuteOf } from '@tessera/quotas';
import type { CostRateLimiter } from './pipeline/cost-rate-limit';

export interface SharedRateLimitOptions {
  redis: RedisConfig;
  /** How often replicas exchange what they let through (default 250 ms): the bound on overshoot. */
  intervalMs?: number;
  logger: Logger;
  /** The clock (tests pin it, so a minute boundary cannot fall inside a test). */
  now?: () => number;
}

/**
 * A counter covers one minute (the unit of the limit) and outlives it by one more. It is keyed by
 * LiveQuotaKeys: tenantUsage reads the current minute's total from it (`costPerMinute`).
 */
const counterTtlMs = 2 * minuteMs;

/**
 * Makes the per-tenant rate limit hold across gateway replicas without a Redis call on the request
 * path. Every `intervalMs` each replica adds what it let through to the tenant's counter for the
 * current minute in Redis (INCRBY returns the fleet's total so far this minute), and takes what
 * the other replicas let through since its last sync — or this minute, the first time it sees the
 * tenant or a new minute — out of its own bucket. Buckets refill at the same rate everywhere, so they drain
 * and fill together: a tenant gets its rate across the fleet, overshooting by at most what the
 * other replicas admit within one interval. Redis down: each replica limits alone (as before) and
 * reports its counts once Redis is back.
 */
export class SharedRateLimitSync {
  private readonly redis: Redis;
  /** Per tenant: the minute and the fleet total this replica last read for it. */
  private readonly lastTotals = new Map<string, { window: number; total: number }>();
  private readonly keys: LiveQuotaKeys;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly limiter: CostRateLimiter,
    private readonly options: SharedRateLimitOptions,
  ) {
    this.redis = new Redis(options.redis.url, { connectionName: `${options.redis.keyPrefix}:gateway-rate-limits`, maxRetriesPerRequest: 1, lazyConnect: true });
    this.keys = new LiveQuotaKeys(options.redis.keyPrefix);
    this.redis.on('error', () => undefined); // reconnects by itself; a failed sync is logged below
  }

  start(): void {
    const interval = this.options.intervalMs ?? 250;
    this.timer = setInterval(() => void this.syncNow(), interval);
    this.timer.unref();
  }

  /** One exchange now (the loop calls it; tests call it to make the exchange deterministic). */
  async syncNow(): Promise<void> {
    // One exchange at a time: a slow Redis must not pile up overlapping syncs.
    this.running ??= this.exchange().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async exchange(): Promise<void> {
    const now = this.options.now?.() ?? Date.now();
    const window = minuteOf(now);
    const active = this.limiter.takeUnsynced(now);
    if (active.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { tenantId, consumed } of active) {
      const key = this.keys.costPerMinute(tenantId, window);
      pipeline.incrby(key, consumed).pexpire(key, counterTtlMs);
    }
    let replies: Array<[Error | null, unknown]> | null;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      replies = null;
      this.reportFailure(error);
    }
    active.forEach(({ tenantId, consumed }, i) => {
      const [error, total] = replies?.[i * 2] ?? [new Error('no reply'), undefined];
      if (error || typeof total !== 'number') {
        this.limiter.restoreUnsynced(tenantId, consumed);
        if (error && replies) this.reportFailure(error);
        return;
      }
      const last = this.lastTotals.get(tenantId);
      // First sight of the tenant or of a new minute: everything in the counter but ours is the others'.
      const seen = last?.window === window ? last.total : 0;
      this.lastTotals.set(tenantId, { window, total });
      this.limiter.consumedElsewhere(tenantId, total - seen - consumed);
    });
    for (const [tenantId, last] of this.lastTotals) if (last.window < window - 1) this.lastTotals.delete(tenantId);
    if (replies && this.failing) {
      this.failing = false;
      this.options.logger.info('shared rate limits: Redis reachable again');
    }
  }

  private reportFailure(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.options.logger.warn('shared rate limits: Redis unreachable; limiting per replica until it is back', { error: error instanceof Error ? error.message : String(error) });
  }
}
