/**
 * Counts per key, each bounded by the caller's limit, in this gateway replica's memory: the point is
 * each process's own sockets, connections and memory. It counts authenticated sockets per tenant (a
 * graphql-ws client carries all its subscriptions on one socket, so a tenant never needs more
 * sockets than its maxOpenSubscriptions; without a bound, sockets that subscribe to nothing could
 * take every file descriptor of the replica), sockets not authenticated yet per client address,
 * subscriptions per tenant (TenantSubscriptionLimiter) and uploads and downloads per tenant
 * (TransferSlots).
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
