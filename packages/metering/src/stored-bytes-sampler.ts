import type { DataSource } from 'typeorm';
import type { Logger } from '@tessera/config';
import { probeTenantRows, tenantDatabase } from '@tessera/tenancy';
import { hourStart } from './meters';
import { holdsStoredBytesQuestion } from './stored-bytes-clock';
import type { UsageRow } from './usage-accumulator';
import { usageTables } from './usage-tables';
import { addTenantUsageWithin } from './usage-writer';

const hourMs = 3_600_000;

/** Lists the tenants whose storage is metered (active ones). */
export type ActiveTenants = () => Promise<string[]>;

/**
 * Integrates each tenant's stored bytes over time into `storedByteHours`: every interval, for each
 * tenant that holds stored bytes, one transaction locks the tenant's sample clock
 * (`usage_samples`), reads the quotas' `storageBytes` usage (what the tenant holds, as the quotas
 * enforce it), adds bytes × hours since the clock's last sample and moves the clock. The lock and
 * the stored clock make it exact whatever runs it: replicas never add an interval twice, and after
 * a restart the interval continues where the last sample stopped (the bytes were stored meanwhile
 * too). An interval is billed at the bytes held at its end: sampling once a minute bounds the
 * difference. Which tenants hold bytes is asked of many tenants per statement; a tenant holding
 * none owes nothing and is left alone — when it stores its first bytes, the quota ledger restarts
 * its clock (`startStoredBytesClock`), so the time it held nothing is never billed.
 */
export class StoredBytesSampler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: { db: DataSource; tenants: ActiveTenants; logger: Logger; intervalMs: number }) {}

  start(): void {
    if (this.deps.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.sample(), this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass over every tenant now (a pass still running is joined, not doubled). */
  sample(): Promise<void> {
    this.running ??= this.sampleAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sampleAll(): Promise<void> {
    let tenants: string[];
    try {
      tenants = await this.deps.tenants();
    } catch (error) {
      this.deps.logger.warn('stored-bytes sampling could not list tenants', { error: String(error) });
      return;
    }
    let holding: string[];
    try {
      const probe = await probeTenantRows(this.deps.db, tenants, [holdsStoredBytesQuestion]);
      // A tenant that could not be asked is sampled anyway: its failure is logged there.
      holding = tenants.filter((tenantId) => probe.found.has(tenantId) || probe.failed.has(tenantId));
    } catch (error) {
      this.deps.logger.warn('stored-bytes sampling could not ask which tenants hold bytes', { error: String(error) });
      return;
    }
    for (const tenantId of holding) {
      try {
        await this.sampleTenant(tenantId);
      } catch (error) {
        this.deps.logger.warn('stored bytes of a tenant not sampled', { tenantId, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private async sampleTenant(tenantId: string): Promise<void> {
    const tables = usageTables(tenantId);
    await (await tenantDatabase(this.deps.db, tenantId)).transaction(async (manager) => {
      const now = new Date();
      const clock = (await manager.query(`SELECT sampled_at FROM ${tables.samples} WHERE meter = 'storedByteHours' FOR UPDATE`)) as Array<{ sampled_at: Date }>;
      const since = clock[0] ? new Date(clock[0].sampled_at).getTime() : undefined;
      // The first sample of a tenant only starts its clock (INSERT IGNORE: two first samples meet harmlessly).
      if (since === undefined) {
        await manager.query(`INSERT IGNORE INTO ${tables.samples} (meter, sampled_at) VALUES ('storedByteHours', ?)`, [now]);
        return;
      }
      if (now.getTime() <= since) return;
      const rows = (await manager.query(`SELECT used FROM ${tables.quotaUsage} WHERE quota = 'storageBytes'`)) as Array<{ used: number | string }>;
      const bytes = Number(rows[0]?.used ?? 0);
      await manager.query(`UPDATE ${tables.samples} SET sampled_at = ? WHERE meter = 'storedByteHours'`, [now]);
      await addTenantUsageWithin(manager, tenantId, splitByHour(since, now.getTime(), bytes));
    });
  }
}

/** bytes × hours of [from, to), one row per UTC hour the interval touches (a long gap lands in its own hours). */
function splitByHour(from: number, to: number, bytes: number): UsageRow[] {
  const rows: UsageRow[] = [];
  if (bytes <= 0) return rows;
  for (let start = from; start < to; ) {
    const end = Math.min(to, hourStart(start) + hourMs);
    rows.push({ hourStart: hourStart(start), meter: 'storedByteHours', amount: (bytes * (end - start)) / hourMs });
    start = end;
  }
  return rows;
}
