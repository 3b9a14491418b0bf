import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisConnectionOptions, type Logger, type RedisConfig } from '@tessera/config';
import type { InferencePools } from '@tessera/inference';
import { defaultInFlightSyncIntervalMs, inFlightStaleMs, LiveQuotaKeys, predictionsInFlightExchangeScript } from '@tessera/quotas';

export interface PredictionsInFlightSyncOptions {
  redis: RedisConfig;
  logger: Logger;
  /** How often this replica reports its counts and reads the others' (default 250 ms): the bound on overshoot. */
  intervalMs?: number;
  /** A tenant without calls for this long is no longer exchanged (default 60 s). */
  activeForMs?: number;
}

interface RedisWithExchange extends Redis {
  exchangeInFlight(key: string, replica: string, count: number, staleMs: number): Promise<number>;
}

/**
 * Makes `maxPredictionsInFlight` hold across models-service replicas without a Redis call per
 * prediction. In flight is a gauge (up at admission, down at the answer): counting it in Redis per
 * call would cost two round trips and leak counts whenever a replica dies mid-call. Instead every
 * `intervalMs` each replica writes its own count per active tenant (a hash field per replica, dated
 * by Redis) and reads the sum of the others'; admission checks local + others. A tenant can overshoot
 * by what other replicas admit within one interval; a dead replica's report ages out after a few
 * intervals. Redis down: each replica keeps the last sums it heard for a few intervals, then limits
 * alone (its own calls only) until Redis is back. The key, the report format and the exchange script
 * live in @tessera/quotas (predictions-in-flight-reports.ts), beside the reader tenantUsage uses.
 */
export class PredictionsInFlightSync {
  private readonly redis: RedisWithExchange;
  private readonly replica = randomUUID();
  private readonly keys: LiveQuotaKeys;
  private readonly intervalMs: number;
  private readonly staleMs: number;
  /** Per tenant: what the other replicas hold, and when it was heard. */
  private readonly elsewhere = new Map<string, { count: number; at: number }>();
  /** Tenants that predicted recently (their counts are exchanged), with the time of their last call. */
  private readonly active = new Map<string, number>();
  /** Tenants this replica reported a non-zero count for: a 0 must be reported once to clear it. */
  private readonly reported = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private failing = false;
  private readonly stopListening: () => void;

  constructor(
    private readonly pools: InferencePools,
    private readonly options: PredictionsInFlightSyncOptions,
  ) {
    this.intervalMs = options.intervalMs ?? defaultInFlightSyncIntervalMs;
    this.staleMs = inFlightStaleMs(this.intervalMs);
    this.keys = new LiveQuotaKeys(options.redis.keyPrefix);
    this.redis = new Redis(options.redis.url, {
      ...redisConnectionOptions(options.redis),
      connectionName: `${options.redis.keyPrefix}:predictions-in-flight`,
      maxRetriesPerRequest: 1,
      commandTimeout: 1_000,
      lazyConnect: true,
    }) as RedisWithExchange;
    this.redis.defineCommand('exchangeInFlight', { numberOfKeys: 1, lua: predictionsInFlightExchangeScript });
    this.redis.on('error', () => undefined); // reconnects by itself; a failed exchange is logged below
    this.stopListening = pools.onRecord((record) => this.active.set(record.tenantId, Date.now()));
    pools.countInFlightElsewhere((tenantId) => this.countElsewhere(tenantId));
  }

  start(): void {
    this.timer = setInterval(() => void this.syncNow(), this.intervalMs);
    this.timer.unref();
  }

  /**
   * An exchange that starts after this call (the loop calls it; tests call it to make the exchange
   * deterministic). One at a time: a slow Redis must not pile up overlapping exchanges, so a call
   * during one waits for it and joins the next.
   */
  syncNow(): Promise<void> {
    if (this.running) {
      this.next ??= this.running.then(() => {
        this.next = undefined;
        return this.syncNow();
      });
      return this.next;
    }
    this.running = this.exchange().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.stopListening();
    this.pools.countInFlightElsewhere(() => 0);
    await this.next;
    await this.running;
    // Leave nothing behind for the others to count until it ages out.
    this.active.clear();
    for (const tenantId of this.reported) this.active.set(tenantId, 0);
    await this.exchange().catch(() => undefined);
    // quit() on a connection that is not up would wait for a reconnect that may never come.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private countElsewhere(tenantId: string): number {
    const heard = this.elsewhere.get(tenantId);
    // Too old (Redis unreachable for a while): limit alone rather than on a stale picture.
    return heard && Date.now() - heard.at <= this.staleMs ? heard.count : 0;
  }

  private async exchange(): Promise<void> {
    const now = Date.now();
    const local = this.pools.inFlightCounts();
    const activeFor = this.options.activeForMs ?? 60_000;
    for (const [tenantId, at] of this.active) if (now - at > activeFor && !local.has(tenantId) && !this.reported.has(tenantId)) this.active.delete(tenantId);
    const tenants = new Set([...local.keys(), ...this.active.keys(), ...this.reported]);
    // What others hold matters only for tenants that predict here.
    for (const tenantId of this.elsewhere.keys()) if (!tenants.has(tenantId)) this.elsewhere.delete(tenantId);
    if (tenants.size === 0) return;
    const order = [...tenants];
    const pipeline = this.redis.pipeline();
    for (const tenantId of order) {
      (pipeline as unknown as RedisWithExchange).exchangeInFlight(this.keys.predictionsInFlight(tenantId), this.replica, local.get(tenantId) ?? 0, this.staleMs);
    }
    let replies: Array<[Error | null, unknown]> | null;
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      replies = await pipeline.exec();
    } catch (error) {
      this.reportFailure(error);
      return;
    }
    let failed = false;
    order.forEach((tenantId, index) => {
      const [error, others] = replies?.[index] ?? [new Error('no reply'), undefined];
      if (error || typeof others !== 'number') {
        failed = true;
        this.reportFailure(error ?? new Error('unexpected reply'));
        return;
      }
      const sent = local.get(tenantId) ?? 0;
      if (sent > 0) this.reported.add(tenantId);
      else this.reported.delete(tenantId);
      if (others > 0) this.elsewhere.set(tenantId, { count: others, at: now });
      else this.elsewhere.delete(tenantId);
    });
    if (this.failing && !failed) {
      this.failing = false;
      this.options.logger.info('predictions in flight: Redis reachable again');
    }
  }

  private reportFailure(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.options.logger.warn('predictions in flight: Redis unreachable; limiting per replica until it is back', { error: error instanceof Error ? error.message : String(error) });
  }
}
