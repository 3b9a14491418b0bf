import type { TenantScope } from '@tessera/tenancy';
import { timeCappedReader, type SqlReader } from '../data/time-capped-reader';
import { RangeReadGate } from './range-read-gate';

export interface RangeReadsOptions {
  perTenant: number;
  inFlight: number;
  queueWaitMs: number;
  maxQueuedPerTenant: number;
  maxReadSeconds: number;
}

/**
 * How the metrics service's range reads reach a tenant's schema: in one of the tenant's turns
 * (RangeReadGate), on one pooled connection, each statement under the read's time budget.
 */
export class RangeReads {
  private readonly gate: RangeReadGate;

  constructor(private readonly options: RangeReadsOptions) {
    // A refused read is told to come back after about the time a running one may still take.
    this.gate = new RangeReadGate({ ...options, retryAfterSeconds: Math.max(1, Math.ceil(options.maxReadSeconds)) });
  }

  read<T>(scope: TenantScope, fn: (db: SqlReader) => Promise<T>): Promise<T> {
    return this.gate.run(scope.tenant.id, () => scope.db((manager) => fn(timeCappedReader(manager, this.options.maxReadSeconds))));
  }
}
