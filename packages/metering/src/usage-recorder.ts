import type { DataSource } from 'typeorm';
import type { Logger } from '@tessera/config';
import type { MeteringConfig } from './metering-config';
import type { MeterName } from './meters';
import { UsageAccumulator, type UsageRow } from './usage-accumulator';
import { writeTenantUsage } from './usage-writer';

export interface UsageFlushResult {
  /** Tenants whose rows were written. */
  written: number;
  /** Tenants whose write failed; their rows wait for the next flush. */
  retrying: number;
  /** Tenants whose rows were given up after `maxFlushAttempts` failures. */
  dropped: number;
}

type Write = (db: DataSource, tenantId: string, rows: readonly UsageRow[]) => Promise<void>;

/**
 * A process's usage meters: `add` accumulates in memory (no I/O where the work happens), a timer
 * writes the sums to each tenant's `usage_meters`, and `close` writes what is left. Flushes run
 * one after another; a failed tenant write is merged back and retried at the next flush, a
 * bounded number of times, and never throws out of the timer (as the request metrics do).
 */
export class UsageRecorder {
  private readonly accumulator = new UsageAccumulator();
  private readonly attempts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: { db: DataSource; logger: Logger; config: Pick<MeteringConfig, 'flushIntervalMs' | 'maxFlushAttempts'>; write?: Write }) {}

  add(tenantId: string, meter: MeterName, amount: number): void {
    this.accumulator.add(tenantId, meter, amount);
  }

  /** This process's amounts of the tenant not yet written (budget checks add them to what is stored). */
  pending(tenantId: string): Map<MeterName, number> {
    return this.accumulator.pending(tenantId);
  }

  start(): void {
    if (this.deps.config.flushIntervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.deps.config.flushIntervalMs);
    this.timer.unref();
  }

  /** Writes everything added before this call (after any flush already running). */
  flush(): Promise<UsageFlushResult> {
    const run = this.queue.then(() => this.flushOnce());
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async flushOnce(): Promise<UsageFlushResult> {
    const result: UsageFlushResult = { written: 0, retrying: 0, dropped: 0 };
    if (this.accumulator.isEmpty) return result;
    const write = this.deps.write ?? writeTenantUsage;
    for (const [tenantId, rows] of this.accumulator.drain()) {
      try {
        await write(this.deps.db, tenantId, rows);
        this.attempts.delete(tenantId);
        result.written += 1;
      } catch (error) {
        const attempts = (this.attempts.get(tenantId) ?? 0) + 1;
        const message = error instanceof Error ? error.message : String(error);
        if (attempts >= this.deps.config.maxFlushAttempts) {
          this.attempts.delete(tenantId);
          result.dropped += 1;
          this.deps.logger.error('usage meters dropped after repeated write failures', { tenantId, attempts, rows: rows.length, error: message });
        } else {
          this.attempts.set(tenantId, attempts);
          this.accumulator.merge(tenantId, rows);
          result.retrying += 1;
          this.deps.logger.warn('usage meters write failed; retrying at the next flush', { tenantId, attempts, error: message });
        }
      }
    }
    return result;
  }
}
