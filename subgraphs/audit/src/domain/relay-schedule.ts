/**
 * Which tenants' outboxes a relay pass looks at. Most tenants write audit events rarely, so
 * looking at every outbox every second costs the database a statement per tenant per second for
 * nothing. Instead: a tenant whose outbox held events lately is "warm" and looked at every pass
 * (a tenant that writes tends to write again soon); every `fullSweepIntervalMs` every tenant is
 * looked at, so what a quiet tenant (or another process, or a replica) wrote is found within that
 * interval. The tenant list itself is reloaded at each full sweep: a new tenant is found then.
 */
export class RelaySchedule {
  /** Known tenants eligible for relaying, from the last full sweep. */
  private tenants: readonly string[] = [];
  /** Tenant → until when it is looked at every pass (ms since the epoch). */
  private readonly warmUntil = new Map<string, number>();
  private nextFullSweepAt = 0;

  constructor(
    private readonly options: {
      fullSweepIntervalMs: number;
      /** How long a tenant stays warm after its outbox last held events. */
      warmForMs: number;
    },
  ) {}

  /** Whether this pass must look at every tenant (the first pass always does). */
  fullSweepDue(now: number): boolean {
    return now >= this.nextFullSweepAt;
  }

  /** A full sweep starts with the current tenant list; warm tenants that are gone are forgotten. */
  startFullSweep(tenants: readonly string[], now: number): void {
    this.tenants = tenants;
    this.nextFullSweepAt = now + this.options.fullSweepIntervalMs;
    const known = new Set(tenants);
    for (const tenantId of this.warmUntil.keys()) if (!known.has(tenantId)) this.warmUntil.delete(tenantId);
  }

  /** Every known tenant (a full sweep). */
  all(): readonly string[] {
    return this.tenants;
  }

  /** The tenants that are warm now (a regular pass); cooled-down ones are dropped. */
  warm(now: number): string[] {
    const warm: string[] = [];
    for (const [tenantId, until] of this.warmUntil) {
      if (until < now) this.warmUntil.delete(tenantId);
      else warm.push(tenantId);
    }
    return warm;
  }

  /** The tenant's outbox held events: look at it every pass for a while. */
  markActive(tenantId: string, now: number): void {
    this.warmUntil.set(tenantId, now + this.options.warmForMs);
  }
}
