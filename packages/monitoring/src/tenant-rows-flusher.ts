import type { DataSource } from 'typeorm';
import type { Logger } from '@tessera/config';

export interface FlushResult {
  /** Tenants whose rows were written. */
  written: number;
  /** Tenants whose write failed; their rows wait for the next flush. */
  retrying: number;
  /** Tenants whose rows were given up after `maxFlushAttempts` failures. */
  dropped: number;
}

/** Rows gathered in memory per tenant: handed over by `drain`, taken back by `merge` when a write fails. */
export interface TenantRowsSource<Row> {
  readonly isEmpty: boolean;
  drain(): Map<string, Row[]>;
  merge(tenantId: string, rows: readonly Row[]): void;
}

export type TenantRowsWrite<Row> = (db: DataSource, tenantId: string, rows: readonly Row[]) => Promise<void>;

export interface TenantRowsFlusherOptions<Row> {
  source: TenantRowsSource<Row>;
  write: TenantRowsWrite<Row>;
  db: DataSource;
  logger: Logger;
  flushIntervalMs: number;
  maxFlushAttempts: number;
  /** Names the rows in log lines ("request metrics", "usage meters"). */
  what: string;
}

/**
 * Writes what a process gathered per tenant (request metrics, usage meters) to each tenant's
 * schema on a timer, and what is left on `close`. Flushes run one after another, never
 * concurrently; a failed tenant write is merged back and retried at the next flush, a bounded
 * number of times, and never throws out of the timer.
 */
export class TenantRowsFlusher<Row> {
  private readonly attempts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: TenantRowsFlusherOptions<Row>) {}

  start(): void {
    if (this.options.flushIntervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Writes everything gathered before this call (after any flush already running). */
  flush(): Promise<FlushResult> {
    const run = this.queue.then(() => this.flushOnce());
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private async flushOnce(): Promise<FlushResult> {
    const { source, write, db, logger, maxFlushAttempts, what } = this.options;
    const result: FlushResult = { written: 0, retrying: 0, dropped: 0 };
    if (source.isEmpty) return result;
    for (const [tenantId, rows] of source.drain()) {
      try {
        await write(db, tenantId, rows);
        this.attempts.delete(tenantId);
        result.written += 1;
      } catch (error) {
        const attempts = (this.attempts.get(tenantId) ?? 0) + 1;
        const message = error instanceof Error ? error.message : String(error);
        if (attempts >= maxFlushAttempts) {
          this.attempts.delete(tenantId);
          result.dropped += 1;
          logger.error(`${what} dropped after repeated write failures`, { tenantId, attempts, rows: rows.length, error: message });
        } else {
          this.attempts.set(tenantId, attempts);
          source.merge(tenantId, rows);
          result.retrying += 1;
          logger.warn(`${what} write failed; retrying at the next flush`, { tenantId, attempts, error: message });
        }
      }
    }
    return result;
  }
}
