import type { DataSource } from 'typeorm';
import type { Logger } from '@tessera/config';
import type { UsageRecorder } from './usage-recorder';
import { usageTables } from './usage-tables';

const hourMs = 3_600_000;

/** Lists the tenants whose storage is metered (active ones). */
export type ActiveTenants = () => Promise<string[]>;

/**
 * Integrates each tenant's stored bytes over time into `storedByteHours`: every interval it reads
 * the quotas' `storageBytes` usage (what the tenant holds, as the quotas enforce it) and adds
 * bytes × hours elapsed since the previous sample. The first sample of a process only sets the
 * clock, so a restart never bills the time it was down twice across replicas. One process per
 * deployment runs it (the metrics service).
 */
export class StoredBytesSampler {
  private lastSampleAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: { db: DataSource; recorder: UsageRecorder; tenants: ActiveTenants; logger: Logger; intervalMs: number }) {}

  start(): void {
    if (this.deps.intervalMs <= 0 || this.timer) return;
    this.lastSampleAt = Date.now();
    this.timer = setInterval(() => void this.sample(), this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One sample now: adds bytes × hours since the previous one (tests call it to advance the meter). */
  sample(now = Date.now()): Promise<void> {
    this.running ??= this.sampleOnce(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async sampleOnce(now: number): Promise<void> {
    const since = this.lastSampleAt;
    this.lastSampleAt = now;
    if (since === undefined || now <= since) return;
    const hours = (now - since) / hourMs;
    let tenants: string[];
    try {
      tenants = await this.deps.tenants();
    } catch (error) {
      this.deps.logger.warn('stored-bytes sampling could not list tenants', { error: String(error) });
      return;
    }
    for (const tenantId of tenants) {
      try {
        const rows = (await this.deps.db.query(`SELECT used FROM ${usageTables(tenantId).quotaUsage} WHERE quota = 'storageBytes'`)) as Array<{ used: number | string }>;
        const bytes = Number(rows[0]?.used ?? 0);
        this.deps.recorder.add(tenantId, 'storedByteHours', bytes * hours);
      } catch (error) {
        this.deps.logger.warn('stored bytes of a tenant not sampled', { tenantId, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}
