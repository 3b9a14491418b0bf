import { errors } from '@tessera/errors';
import { BoundedCounter } from '../pipeline/bounded-counter';

/** QUOTA_EXCEEDED for open subscriptions, with the quota's name, limit and what is open. */
export function subscriptionQuotaExceeded(limit: number, used: number) {
  return errors.quotaExceeded(`Your tenant already has ${used} open subscriptions, the limit (maxOpenSubscriptions); complete one first.`, {
    quota: 'maxOpenSubscriptions',
    limit,
    used,
  });
}

/**
 * Sockets one client address may hold open before their connection_init is accepted. Each lives at
 * most 3 s (graphql-ws's init timeout) and a well-behaved client authenticates within milliseconds,
 * but an unauthenticated client opening them in a loop would otherwise hold as many sockets (and
 * up to maxUnsentBytes of replies each) as it can open in 3 s.
 */
export const maxUnauthenticatedSocketsPerAddress = 16;

/**
 * Concurrent subscriptions per tenant on this gateway replica, so one tenant cannot hold every
 * socket and Redis subscription. In memory; SharedSubscriptionSlots makes the limit hold across
 * replicas and falls back to this one when Redis is unreachable.
 */
export class TenantSubscriptionLimiter {
  private readonly active = new BoundedCounter();

  /** Takes one of the tenant's `limit` slots or throws QUOTA_EXCEEDED; the returned release is idempotent. */
  acquire(tenantId: string, limit: number): () => void {
    const release = this.active.acquire(tenantId, limit);
    if (!release) throw subscriptionQuotaExceeded(limit, this.active.count(tenantId));
    return release;
  }
}

/**
 * At most one log line per key (a tenant) per `everyMs` for a refusal the key can cause at will,
 * carrying how many refusals it held back since the last line. Keys are tenants that passed
 * authentication, so the map stays as small as the tenant directory; keys quiet for `everyMs` are
 * dropped once it holds many.
 */
export class RefusalLogThrottle {
  private readonly last = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly everyMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** `undefined`: hold this refusal back; a number: log it, with that many held back before it. */
  take(key: string): number | undefined {
    const now = this.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.everyMs) {
      entry.held += 1;
      return undefined;
    }
    if (!entry && this.last.size >= 10_000) {
      for (const [other, seen] of this.last) if (now - seen.at >= this.everyMs) this.last.delete(other);
    }
    this.last.set(key, { at: now, held: 0 });
    return entry?.held ?? 0;
  }
}
