import { Redis } from 'ioredis';
import { redisConnectionOptions, type Logger, type RedisConfig } from '@tessera/config';
import { LiveQuotaKeys, minuteMs, minuteOf } from '@tessera/quotas';
import type { CostRateLimiter } from './pipeline/cost-rate-limit';

export interface SharedRateLimitOptions {
  redis: RedisConfig;
  /** How often replicas exchange what they let through (default 250 ms): the bound on overshoot. */
  intervalMs?: number;
  /**
   * How often a tenant this replica admitted nothing for lately is read anyway (default 2 s), so
   * its bucket still learns what the other replicas admit without a write every interval.
   */
  idleReadIntervalMs?: number;
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
 * other replicas admit within one interval. A tenant this replica let nothing through for since
 * the last exchange is only read (GET), and only every `idleReadIntervalMs`: a replica that
 * recently served many tenants does not write a counter per tenant every interval while they are
 * quiet. When such a tenant turns to this replica again, its bucket may not yet hold what the
 * others admitted in the last `idleReadIntervalMs`; the next exchange takes it out, so the
 * overshoot stays within what this replica admits in one interval. Redis down: each replica
 * limits alone (as before) and reports its counts once Redis is back.
 */
export class SharedRateLimitSync {
  private readonly redis: Redis;
  /** Per tenant: the minute and the fleet total this replica last read for it, and when it read it. */
  private readonly lastTotals = new Map<string, { window: number; total: number; readAt: number }>();
  private readonly keys: LiveQuotaKeys;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly limiter: CostRateLimiter,
    private readonly options: SharedRateLimitOptions,
  ) {
    this.redis = new Redis(options.redis.url, { ...redisConnectionOptions(options.redis), connectionName: `${options.redis.keyPrefix}:gateway-rate-limits`, maxRetriesPerRequest: 1, lazyConnect: true });
    this.keys = new LiveQuotaKeys(options.redis.keyPrefix);
    this.redis.on('error', () => undefined); // reconnects by itself; a failed sync is logged below
  }

  start(): void {
    const interval = this.options.intervalMs ?? 250;
    this.timer = setInterval(() => void this.run(false), interval);
    this.timer.unref();
  }

  /** One exchange now for every tenant this replica knows, quiet or not (tests call it to make the exchange deterministic). */
  syncNow(): Promise<void> {
    return this.run(true);
  }

  private run(everyTenant: boolean): Promise<void> {
    // One exchange at a time: a slow Redis must not pile up overlapping syncs.
    this.running ??= this.exchange(everyTenant).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async exchange(everyTenant: boolean): Promise<void> {
    const now = this.options.now?.() ?? Date.now();
    const window = minuteOf(now);
    const idleReadIntervalMs = this.options.idleReadIntervalMs ?? 2_000;
    const active = this.limiter.takeUnsynced(now).filter(({ tenantId, consumed }) => {
      if (everyTenant || consumed > 0) return true;
      const last = this.lastTotals.get(tenantId);
      return last?.window !== window || now - last.readAt >= idleReadIntervalMs;
    });
    if (active.length === 0) return;
    const pipeline = this.redis.pipeline();
    // Where each tenant's total is among the replies: INCRBY's reply (PEXPIRE follows it), or GET's.
    const replyIndex: number[] = [];
    let commands = 0;
    for (const { tenantId, consumed } of active) {
      const key = this.keys.costPerMinute(tenantId, window);
      replyIndex.push(commands);
      if (consumed > 0) {
        pipeline.incrby(key, consumed).pexpire(key, counterTtlMs);
        commands += 2;
      } else {
        pipeline.get(key);
        commands += 1;
      }
    }
    let replies: Array<[Error | null, unknown]> | null;
    try {
      replies = await pipeline.exec();
    } catch (error) {
      replies = null;
      this.reportFailure(error);
    }
    active.forEach(({ tenantId, consumed }, i) => {
      const [error, reply] = replies?.[replyIndex[i]!] ?? [new Error('no reply'), undefined];
      // GET of a counter nobody wrote this minute: nothing admitted anywhere yet.
      const total = consumed > 0 ? reply : reply === null ? 0 : Number(reply);
      if (error || typeof total !== 'number' || !Number.isFinite(total)) {
        this.limiter.restoreUnsynced(tenantId, consumed);
        if (error && replies) this.reportFailure(error);
        return;
      }
      const last = this.lastTotals.get(tenantId);
      // First sight of the tenant or of a new minute: everything in the counter but ours is the others'.
      const seen = last?.window === window ? last.total : 0;
      this.lastTotals.set(tenantId, { window, total, readAt: now });
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
