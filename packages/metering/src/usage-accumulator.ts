import { hourStart, type MeterName } from './meters';

/** The sum of one meter for one tenant in one hour. */
export interface UsageRow {
  hourStart: number;
  meter: MeterName;
  amount: number;
}

/**
 * In-memory sums per tenant, hour and meter: recording is two map lookups, so metering costs the
 * request, run or job nothing measurable. The key space is bounded (five meters per tenant and
 * hour), whatever the traffic. `drain` hands everything over for writing and starts afresh.
 */
export class UsageAccumulator {
  private tenants = new Map<string, Map<string, UsageRow>>();

  add(tenantId: string, meter: MeterName, amount: number, at = Date.now()): void {
    // Negative, NaN or infinite amounts would corrupt a sum that is only ever added to.
    if (!Number.isFinite(amount) || amount <= 0) return;
    const hour = hourStart(at);
    let rows = this.tenants.get(tenantId);
    if (!rows) this.tenants.set(tenantId, (rows = new Map()));
    const key = `${hour}|${meter}`;
    const row = rows.get(key);
    if (row) row.amount += amount;
    else rows.set(key, { hourStart: hour, meter, amount });
  }

  /** Adds rows back (a write that failed). */
  merge(tenantId: string, rows: readonly UsageRow[]): void {
    for (const row of rows) this.add(tenantId, row.meter, row.amount, row.hourStart);
  }

  /** What one tenant has accumulated and not yet written, per meter (any hour). */
  pending(tenantId: string): Map<MeterName, number> {
    const sums = new Map<MeterName, number>();
    for (const row of this.tenants.get(tenantId)?.values() ?? []) sums.set(row.meter, (sums.get(row.meter) ?? 0) + row.amount);
    return sums;
  }

  drain(): Map<string, UsageRow[]> {
    const drained = new Map<string, UsageRow[]>();
    for (const [tenantId, rows] of this.tenants) drained.set(tenantId, [...rows.values()]);
    this.tenants = new Map();
    return drained;
  }

  get isEmpty(): boolean {
    return this.tenants.size === 0;
  }
}
