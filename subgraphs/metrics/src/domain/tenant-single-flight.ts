/**
 * Per tenant, at most one computation running and one waiting to start; a caller that finds one
 * waiting joins it. The waiting one starts only after the caller arrived, so its answer is never
 * older than the caller's request (a client that just wrote and then asks sees its write), while
 * however many requests of one tenant ask at once, they cost at most two computations. Used by
 * tenantUsage and by the anomaly engine's passes (anomaly-engine.ts).
 */
export class TenantSingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();
  private readonly waiting = new Map<string, Promise<T>>();

  run(tenantId: string, compute: () => Promise<T>): Promise<T> {
    const waiting = this.waiting.get(tenantId);
    if (waiting) return waiting;
    const previous = this.running.get(tenantId) ?? Promise.resolve();
    const next: Promise<T> = previous
      .catch(() => undefined)
      .then(() => {
        if (this.waiting.get(tenantId) === next) this.waiting.delete(tenantId);
        return compute();
      });
    this.waiting.set(tenantId, next);
    this.running.set(tenantId, next);
    void next
      .finally(() => {
        if (this.running.get(tenantId) === next) this.running.delete(tenantId);
      })
      .catch(() => undefined);
    return next;
  }

  /** Every computation started and not yet settled (a closing service waits for them). */
  inFlight(): Array<Promise<T>> {
    return [...this.running.values()];
  }
}
