import type { DataSource } from 'typeorm';
import type { Logger } from '@tessera/config';
import type { RequestMetricsConfig } from './monitoring-config';
import { RequestMetricsAggregator, type RequestMetricsRow, type RequestObservation } from './request-metrics-aggregator';
import { writeTenantRequestMetrics } from './request-metrics-writer';
import { TenantRowsFlusher, type FlushResult, type TenantRowsWrite } from './tenant-rows-flusher';

export type { FlushResult } from './tenant-rows-flusher';

/**
 * The gateway's request metrics: `record` aggregates in memory (no I/O on the request path), and a
 * TenantRowsFlusher writes the sums to each tenant's schema on a timer and what is left on `close`.
 */
export class RequestMetricsRecorder {
  private readonly aggregator: RequestMetricsAggregator;
  private readonly flusher: TenantRowsFlusher<RequestMetricsRow>;

  constructor(deps: { db: DataSource; logger: Logger; config: RequestMetricsConfig; write?: TenantRowsWrite<RequestMetricsRow> }) {
    this.aggregator = new RequestMetricsAggregator({ bucketMs: deps.config.bucketSeconds * 1000, maxOperationNames: deps.config.maxOperationNames });
    this.flusher = new TenantRowsFlusher({
      source: this.aggregator,
      write: deps.write ?? writeTenantRequestMetrics,
      db: deps.db,
      logger: deps.logger,
      flushIntervalMs: deps.config.flushIntervalMs,
      maxFlushAttempts: deps.config.maxFlushAttempts,
      what: 'request metrics',
    });
  }

  record(observation: RequestObservation): void {
    this.aggregator.record(observation);
  }

  start(): void {
    this.flusher.start();
  }

  /** Writes everything recorded before this call (after any flush already running). */
  flush(): Promise<FlushResult> {
    return this.flusher.flush();
  }

  close(): Promise<void> {
    return this.flusher.close();
  }
}
