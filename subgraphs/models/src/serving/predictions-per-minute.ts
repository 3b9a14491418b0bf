import { Redis } from 'ioredis';
import { redisConnectionOptions, type Logger, type RedisConfig } from '@tessera/config';
import { errors } from '@tessera/errors';
import { LiveQuotaKeys, minuteMs, minuteOf } from '@tessera/quotas';
import { initialGeneration, servingGenerationKey } from './serving-generations';

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

/**
 * `take` plus the tenant's serving generation, in one script: KEYS[1] the counter, KEYS[2] the
 * generation; ARGV: limit, ttl, the generation the caller's cached resolution carries ('' = none),
 * and whether to count ('1') or only read the generation ('0'). A cached resolution whose
 * generation moved is not used, and nothing is counted for it: the caller resolves afresh first.
 * Replies {admitted (1, 0 refused, -1 stale or not asked), used, generation}.
 */
const admitScript = `
local generation = redis.call('GET', KEYS[2]) or '${initialGeneration}'
if ARGV[4] ~= '1' or (ARGV[3] ~= '' and ARGV[3] ~= generation) then return {-1, 0, generation} end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return {0, used, generation} end
used = redis.call('INCR', KEYS[1])
if used == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {1, used, generation}`;

type AdmitReply = [number, number, string];

interface RedisWithTake extends Redis {
  takePrediction(key: string, limit: number, ttlMs: number): Promise<TakeReply>;
  admitPrediction(counterKey: string, generationKey: string, limit: number, ttlMs: number, expected: string, count: '0' | '1'): Promise<AdmitReply>;
}

/** What `admit` found out. `generation` is undefined when Redis could not be asked (then no cache may be trusted). */
export type Admission =
  /** Counted (QUOTA_EXCEEDED is thrown instead when over the limit). */
  | { kind: 'counted'; generation: string | undefined }
  /** Not counted: the expected generation moved, or only the generation was asked for. */
  | { kind: 'not-counted'; generation: string | undefined };

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
    this.redis.defineCommand('admitPrediction', { numberOfKeys: 2, lua: admitScript });
    this.redis.on('error', () => undefined); // reconnects by itself; a failed call is logged below
  }

  /** Counts one prediction of the tenant, or throws QUOTA_EXCEEDED (`predictionsPerMinute`) with the minute's usage. */
  async take(tenantId: string, limit: number): Promise<void> {
    const now = this.options.now?.() ?? Date.now();
    const window = minuteOf(now);
    this.refuseUnless((await this.takeShared(tenantId, window, limit)) ?? this.takeLocal(tenantId, window, limit), limit, window, now);
  }

  private refuseUnless([admitted, used]: [boolean, number], limit: number, window: number, now: number): void {
    if (admitted) return;
    throw errors.quotaExceeded(`This tenant has used its ${limit} predictions for this minute; retry after the minute ends.`, {
      quota: 'predictionsPerMinute',
      limit,
      used,
      retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * minuteMs - now) / 1000)),
    });
  }

  /**
   * One round trip for a predict: checks the tenant's serving generation against `expect` (the
   * tag of a cached resolution) and, when it matches (or nothing is expected) and `count` is set,
   * counts the prediction like `take`. With `count: false` it only reads the generation (before a
   * database read whose result will be cached under it). Redis unreachable: counts locally like
   * `take`, and the generation is unknown.
   */
  async admit(tenantId: string, limit: number, options: { expect?: string; count: boolean }): Promise<Admission> {
    const now = this.options.now?.() ?? Date.now();
    const window = minuteOf(now);
    const reply = await this.admitShared(tenantId, window, limit, options.expect ?? '', options.count);
    if (!reply) {
      if (!options.count) return { kind: 'not-counted', generation: undefined };
      this.refuseUnless(this.takeLocal(tenantId, window, limit), limit, window, now);
      return { kind: 'counted', generation: undefined };
    }
    const [admitted, used, generation] = reply;
    if (admitted === -1) return { kind: 'not-counted', generation: String(generation) };
    this.refuseUnless([admitted === 1, used], limit, window, now);
    return { kind: 'counted', generation: String(generation) };
  }

  async close(): Promise<void> {
    // quit() on a connection that is not up would wait for a reconnect that may never come.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private async admitShared(tenantId: string, window: number, limit: number, expected: string, count: boolean): Promise<AdmitReply | undefined> {
    return this.shared((redis) =>
      redis.admitPrediction(this.keys.predictionsPerMinute(tenantId, window), servingGenerationKey(this.keys.prefix, tenantId), limit, counterTtlMs, expected, count ? '1' : '0'),
    );
  }

  /** A Redis call, or undefined while Redis is unreachable (then retried after `localAfterFailureMs`). */
  private async shared<T>(call: (redis: RedisWithTake) => Promise<T>): Promise<T | undefined> {
    if (Date.now() < this.redisRetryAt) return undefined;
    try {
      if (this.redis.status === 'wait') await this.redis.connect();
      const result = await call(this.redis);
      if (this.redisRetryAt !== 0) {
        this.redisRetryAt = 0;
        this.options.logger.info('predictions per minute: Redis reachable again');
      }
      return result;
    } catch (error) {
      if (this.redisRetryAt === 0) {
        this.options.logger.warn('predictions per minute: Redis unreachable; counting per replica for now', { error: error instanceof Error ? error.message : String(error) });
      }
      this.redisRetryAt = Date.now() + (this.options.localAfterFailureMs ?? 5_000);
      return undefined;
    }
  }

  private async takeShared(tenantId: string, window: number, limit: number): Promise<[boolean, number] | undefined> {
    const reply = await this.shared((redis) => redis.takePrediction(this.keys.predictionsPerMinute(tenantId, window), limit, counterTtlMs));
    return reply && [reply[0] === 1, reply[1]];
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
