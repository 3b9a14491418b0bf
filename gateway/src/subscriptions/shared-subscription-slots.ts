import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisConnectionOptions, type Logger, type RedisConfig } from '@tessera/config';
import { LiveQuotaKeys } from '@tessera/quotas';
import { subscriptionQuotaExceeded, TenantSubscriptionLimiter } from './subscription-limits';

/** Open-subscription slots per tenant: `acquire` takes one or throws QUOTA_EXCEEDED; its release is idempotent. */
export interface SubscriptionSlots {
  /** One of the tenant's `limit` slots (its maxOpenSubscriptions), or QUOTA_EXCEEDED. */
  acquire(tenantId: string, limit: number): Promise<() => void>;
  close(): Promise<void>;
}

/** Slots counted on this replica only (no Redis configured). */
export function localSubscriptionSlots(): SubscriptionSlots {
  const limiter = new TenantSubscriptionLimiter();
  return { acquire: async (tenantId, limit) => limiter.acquire(tenantId, limit), close: async () => undefined };
}

export interface SharedSubscriptionSlotsOptions {
  redis: RedisConfig;
  logger: Logger;
  /** How long a slot lives without its replica renewing it (default 30 s): a crashed replica's slots free themselves. */
  leaseMs?: number;
}

/**
 * Takes a slot atomically: drops expired leases, counts the live ones, adds ours if under the limit.
 * KEYS[1] the tenant's sorted set (member = slot, score = lease expiry); ARGV now, expiry, member, limit, key ttl.
 */
const acquireScript = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local open = redis.call('ZCARD', KEYS[1])
if open >= tonumber(ARGV[4]) then return open end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return -1
`;

/**
 * The per-tenant limit on open subscriptions across every gateway replica: each slot is a member of
 * the tenant's sorted set in Redis with a lease its replica renews (every third of the lease), so
 * the slots of a replica that died expire by themselves. One Redis call per subscribe and per
 * complete, none per event. With Redis unreachable a replica falls back to counting its own slots.
 */
export class SharedSubscriptionSlots implements SubscriptionSlots {
  private readonly redis: Redis;
  private readonly local: TenantSubscriptionLimiter;
  private readonly held = new Map<string, { key: string; member: string }>();
  private readonly leaseMs: number;
  private readonly keys: LiveQuotaKeys;
  private readonly renewal: NodeJS.Timeout;
  private failing = false;

  constructor(private readonly options: SharedSubscriptionSlotsOptions) {
    this.redis = new Redis(options.redis.url, { ...redisConnectionOptions(options.redis), connectionName: `${options.redis.keyPrefix}:gateway-subscription-slots`, maxRetriesPerRequest: 1, lazyConnect: true });
    this.redis.on('error', () => undefined); // reconnects by itself; failures are handled per call
    this.local = new TenantSubscriptionLimiter();
    this.leaseMs = options.leaseMs ?? 30_000;
    this.keys = new LiveQuotaKeys(options.redis.keyPrefix);
    this.renewal = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.renewal.unref();
  }

  async acquire(tenantId: string, limit: number): Promise<() => void> {
    // Keyed by LiveQuotaKeys, which tenantUsage reads (maxOpenSubscriptions).
    const key = this.keys.openSubscriptions(tenantId);
    const member = randomUUID();
    const now = Date.now();
    let open: number;
    try {
      open = Number(await this.redis.eval(acquireScript, 1, key, now, now + this.leaseMs, member, limit, this.leaseMs * 2));
      this.recovered();
    } catch (error) {
      this.failed(error);
      return this.local.acquire(tenantId, limit);
    }
    if (open >= 0) throw subscriptionQuotaExceeded(limit, open);
    this.held.set(member, { key, member });
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held.delete(member);
      // A release that does not reach Redis is cleaned up when the lease runs out.
      this.redis.zrem(key, member).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    clearInterval(this.renewal);
    const held = [...this.held.values()];
    this.held.clear();
    if (held.length > 0) {
      const pipeline = this.redis.pipeline();
      for (const { key, member } of held) pipeline.zrem(key, member);
      await pipeline.exec().catch(() => undefined);
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Extends the lease of every slot this replica holds. */
  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const expiry = Date.now() + this.leaseMs;
    const pipeline = this.redis.pipeline();
    for (const { key, member } of this.held.values()) pipeline.zadd(key, 'XX', expiry, member).pexpire(key, this.leaseMs * 2);
    await pipeline.exec().then(
      () => this.recovered(),
      (error: unknown) => this.failed(error),
    );
  }

  private failed(error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.options.logger.warn('subscription limit: Redis unreachable; counting per replica until it is back', { error: error instanceof Error ? error.message : String(error) });
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.options.logger.info('subscription limit: Redis reachable again');
  }
}
