import { errors } from '@tessera/errors';

/**
 * Concurrent subscriptions per tenant on this gateway replica, so one tenant cannot hold every
 * socket and Redis subscription. In memory; SharedSubscriptionSlots makes the limit hold across
 * replicas and falls back to this one when Redis is unreachable.
 */
export class TenantSubscriptionLimiter {
  private readonly active = new Map<string, number>();

  constructor(private readonly maxPerTenant: number) {}

  /** Takes a slot or throws QUOTA_EXCEEDED; the returned release is idempotent. */
  acquire(tenantId: string): () => void {
    const current = this.active.get(tenantId) ?? 0;
    if (current >= this.maxPerTenant) {
      throw errors.quotaExceeded(`Your tenant already has ${current} open subscriptions, the limit; complete one first.`, {
        limit: this.maxPerTenant,
        resource: 'subscriptions',
      });
    }
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
