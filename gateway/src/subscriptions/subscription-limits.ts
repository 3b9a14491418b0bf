import { errors } from '@tessera/errors';

/** QUOTA_EXCEEDED for open subscriptions, with the quota's name, limit and what is open. */
export function subscriptionQuotaExceeded(limit: number, used: number) {
  return errors.quotaExceeded(`Your tenant already has ${used} open subscriptions, the limit (maxOpenSubscriptions); complete one first.`, {
    quota: 'maxOpenSubscriptions',
    limit,
    used,
  });
}

/**
 * Counts per key, each bounded by the caller's limit, in this gateway replica's memory: the point is
 * each process's own sockets and memory. It counts authenticated sockets per tenant — a graphql-ws
 * client carries all its subscriptions on one socket, so a tenant never needs more sockets than its
 * maxOpenSubscriptions, and without a bound sockets that subscribe to nothing (free, held until the
 * token expires) could take every file descriptor of the replica from every other tenant —, sockets
 * not authenticated yet per client address (see maxUnauthenticatedSocketsPerAddress), and
 * subscriptions per tenant (TenantSubscriptionLimiter).
 */
export class BoundedCounter {
  private readonly open = new Map<string, number>();

  /** How many are counted under `key`. */
  count(key: string): number {
    return this.open.get(key) ?? 0;
  }

  /** Counts one more under `key`, or returns undefined at `limit`; the returned release is idempotent. */
  acquire(key: string, limit: number): (() => void) | undefined {
    const current = this.open.get(key) ?? 0;
    if (current >= limit) return undefined;
    this.open.set(key, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
  }
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
