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
 * Authenticated client sockets per tenant on this gateway replica. A graphql-ws client carries all
 * its subscriptions on one socket, so a tenant never needs more sockets than its
 * maxOpenSubscriptions; without a bound, sockets that subscribe to nothing (free, held until the
 * token expires) could take every file descriptor of the replica from every other tenant.
 */
export class TenantSocketLimiter {
  private readonly open = new Map<string, number>();

  /** Counts one more socket of the tenant, or returns undefined at `limit`; the returned release is idempotent. */
  acquire(tenantId: string, limit: number): (() => void) | undefined {
    const current = this.open.get(tenantId) ?? 0;
    if (current >= limit) return undefined;
    this.open.set(tenantId, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(tenantId) ?? 1) - 1;
      if (left > 0) this.open.set(tenantId, left);
      else this.open.delete(tenantId);
    };
  }
}

/**
 * Concurrent subscriptions per tenant on this gateway replica, so one tenant cannot hold every
 * socket and Redis subscription. In memory; SharedSubscriptionSlots makes the limit hold across
 * replicas and falls back to this one when Redis is unreachable.
 */
export class TenantSubscriptionLimiter {
  private readonly active = new Map<string, number>();

  /** Takes one of the tenant's `limit` slots or throws QUOTA_EXCEEDED; the returned release is idempotent. */
  acquire(tenantId: string, limit: number): () => void {
    const current = this.active.get(tenantId) ?? 0;
    if (current >= limit) throw subscriptionQuotaExceeded(limit, current);
    this.active.set(tenantId, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.active.get(tenantId) ?? 1) - 1;
      if (left > 0) this.active.set(tenantId, left);
      else this.active.delete(tenantId);
    };
  }
}
