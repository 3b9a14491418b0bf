import type { TenantScope } from '@tessera/tenancy';
import { timeCappedReader, type SqlReader } from '../data/time-capped-reader';
import { TenantTurns } from '@tessera/service-kit';

export interface RangeReadsOptions {
  perTenant: number;
  inFlight: number;
  queueWaitMs: number;
  maxQueuedPerTenant: number;
  maxReadSeconds: number;
}

/**
 * How the metrics service's range reads reach a tenant's schema: in one of the tenant's turns
 * (TenantTurns), on one pooled connection, each statement under the read's time budget.
 */
export class RangeReads {
  private readonly gate: TenantTurns;

  constructor(private readonly options: RangeReadsOptions) {
    // A refused read is told to come back after about the time a running one may still take.
    this.gate = new TenantTurns({
      ...options,
      retryAfterSeconds: Math.max(1, Math.ceil(options.maxReadSeconds)),
      refusal: {
        perTenantLimit: 'metricsReadsPerTenant',
        inFlightLimit: 'metricsReadsInFlight',
        perTenantMessage: (limitValue) => `Your tenant already has ${limitValue} metrics range reads running on this replica; retry in a moment, or ask for a shorter range.`,
        inFlightMessage: 'The metrics service is running as many range reads as it allows at once; retry in a moment.',
      },
    });
  }

  read<T>(scope: TenantScope, fn: (db: SqlReader) => Promise<T>): Promise<T> {
    return this.gate.run(scope.tenant.id, () => scope.db((manager) => fn(timeCappedReader(manager, this.options.maxReadSeconds))));
  }

  /**
   * A range read another service answers (`inferenceStats`, through the models port): it holds a
   * connection of that service's pool, not of ours, for as long as its database aggregates, so it
   * takes one of the tenant's turns like the reads above (same bounds, same RATE_LIMITED).
   */
  remote<T>(scope: TenantScope, fn: () => Promise<T>): Promise<T> {
    return this.gate.run(scope.tenant.id, fn);
  }
}
