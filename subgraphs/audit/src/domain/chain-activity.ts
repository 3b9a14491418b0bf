/**
 * Tenants whose hash chain grew in this process (the background relay or a drain before a read)
 * since alerting last asked: alerting evaluates those instead of every tenant. Events chained by
 * another process or replica are not seen here; alerting's periodic full sweep finds them.
 */
export class ChainActivity {
  private readonly grown = new Set<string>();

  /** `events` were moved into the tenant's chain. */
  chained(tenantId: string, events: number): void {
    if (events > 0) this.grown.add(tenantId);
  }

  /** The tenants whose chain grew since the last call. */
  take(): string[] {
    const tenants = [...this.grown];
    this.grown.clear();
    return tenants;
  }
}
