import type { DataSource } from 'typeorm';
import type { Logger } from '@tessera/config';
import type { RequestMetricsConfig } from './monitoring-config';
import { RequestMetricsAggregator, type RequestMetricsRow, type RequestObservation } from './request-metrics-aggregator';
import { writeTenantRequestMetrics } from './request-metrics-writer';

export interface FlushResult {
  /** Tenants whose rows were written. */
  written: number;
  /** Tenants whose write failed; their rows wait for the next flush. */
  retrying: number;
  /** Tenants whose rows were given up after `maxFlushAttempts` failures. */
  dropped: number;
}

type Write = (db: DataSource, tenantId: string, rows: readonly RequestMetricsRow[]) => Promise<void>;

/**
 * The gateway's request metrics: `record` aggregates in memory (no I/O on the request path), a
 * timer writes the sums to each tenant's schema, and `close` writes what is left. Flushes run one
 * after another, never concurrently; a failed tenant write is merged back and retried at the next
 * flush, a bounded number of times, and never throws out of the timer.
 */
export class RequestMetricsRecorder {
  private aggregator: RequestMetricsAggregator;
  private readonly attempts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: { db: DataSource; logger: Logger; config: RequestMetricsConfig; write?: Write },
  ) {
    this.aggregator = new RequestMetricsAggregator({ bucketMs: deps.config.bucketSeconds * 1000, maxOperationNames: deps.config.maxOperationNames });
  }

  record(observation: RequestObservation): void {
    this.aggregator.record(observation);
  }

  start(): void {
    if (this.deps.config.flushIntervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.deps.config.flushIntervalMs);
    this.timer.unref();
  }

  /** Writes everything recorded before this call (after any flush already running). */
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
    const result: FlushResult = { written: 0, retrying: 0, dropped: 0 };
    if (this.aggregator.isEmpty) return result;
    const write = this.deps.write ?? writeTenantRequestMetrics;
    for (const [tenantId, rows] of this.aggregator.drain()) {
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
          this.deps.logger.error('request metrics dropped after repeated write failures', { tenantId, attempts, rows: rows.length, error: message });
        } else {
          this.attempts.set(tenantId, attempts);
          this.aggregator.merge(tenantId, rows);
          result.retrying += 1;
          this.deps.logger.warn('request metrics write failed; retrying at the next flush', { tenantId, attempts, error: message });
        }
      }
    }
    return result;
  }
}
