import type { DataSource } from 'typeorm';
import type { Logger } from '@tessera/config';
import type { MeteringConfig } from './metering-config';
import type { MeterName } from './meters';
import { UsageAccumulator, type UsageRow } from './usage-accumulator';
import { writeTenantUsage } from './usage-writer';
import { TenantRowsFlusher, type FlushResult, type TenantRowsWrite } from '@tessera/monitoring';

export type UsageFlushResult = FlushResult;

/**
 * A process's usage meters: `add` accumulates in memory (no I/O where the work happens), and a
 * TenantRowsFlusher (the one the request metrics use) writes the sums to each tenant's
 * `usage_meters` on a timer and what is left on `close`.
 */
export class UsageRecorder {
  private readonly accumulator = new UsageAccumulator();
  private readonly flusher: TenantRowsFlusher<UsageRow>;

  constructor(deps: { db: DataSource; logger: Logger; config: Pick<MeteringConfig, 'flushIntervalMs' | 'maxFlushAttempts'>; write?: TenantRowsWrite<UsageRow> }) {
    this.flusher = new TenantRowsFlusher({
      source: this.accumulator,
      write: deps.write ?? writeTenantUsage,
      db: deps.db,
      logger: deps.logger,
      flushIntervalMs: deps.config.flushIntervalMs,
      maxFlushAttempts: deps.config.maxFlushAttempts,
      what: 'usage meters',
    });
  }

  add(tenantId: string, meter: MeterName, amount: number): void {
    this.accumulator.add(tenantId, meter, amount);
  }

  /** This process's amounts of the tenant not yet written (budget checks add them to what is stored). */
  pending(tenantId: string): Map<MeterName, number> {
    return this.accumulator.pending(tenantId);
  }

  start(): void {
    this.flusher.start();
  }

  /** Writes everything added before this call (after any flush already running). */
  flush(): Promise<UsageFlushResult> {
    return this.flusher.flush();
  }

  close(): Promise<void> {
    return this.flusher.close();
  }
}
