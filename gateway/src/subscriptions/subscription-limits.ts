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
