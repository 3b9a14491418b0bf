import { TesseraError } from '@tessera/errors';

export interface PredictionBacklogOptions {
  /** Bytes of prediction log lines this process may hold unwritten to MySQL (INFERENCE_STATS_LOG_MAX_MB). */
  maxBytes: number;
  /** Of which one tenant may hold at most this many (INFERENCE_STATS_LOG_PER_TENANT_MB), so one tenant's backlog cannot take the whole bound. */
  maxBytesPerTenant: number;
}

/** What a refused predict is told to wait: a flush comes every few seconds once the database answers. */
const retryAfterSeconds = 5;

/**
 * The bytes of this process's prediction log whose calls are not in MySQL yet, per tenant and in
 * all. Pending stats and audit are never given up while the database is only unreachable (they are
 * owed: the calls were answered), so what bounds the log's disk during an outage is admission: a
 * predict is refused before it runs once the backlog is at its bound, and no call is answered
 * without its line being in the log.
 */
export class PredictionBacklog {
  private total = 0;
  private readonly byTenant = new Map<string, number>();

  constructor(readonly options: PredictionBacklogOptions) {
    if (options.maxBytesPerTenant < 1 || options.maxBytes < 1) throw new RangeError('the prediction log backlog needs room for at least one byte');
  }

  /** Bytes not yet written, by everyone or by one tenant. */
  held(tenantId?: string): number {
    return tenantId === undefined ? this.total : (this.byTenant.get(tenantId) ?? 0);
  }

  add(tenantId: string, bytes: number): void {
    this.total += bytes;
    this.byTenant.set(tenantId, (this.byTenant.get(tenantId) ?? 0) + bytes);
  }

  /** The lines of `bytes` are written (or given up): their room is free again. */
  release(tenantId: string, bytes: number): void {
    if (bytes === 0) return;
    this.total = Math.max(0, this.total - bytes);
    const left = (this.byTenant.get(tenantId) ?? 0) - bytes;
    if (left > 0) this.byTenant.set(tenantId, left);
    else this.byTenant.delete(tenantId);
  }

  /**
   * Before a predict runs: RATE_LIMITED when the tenant's own backlog is at its share,
   * SERVICE_UNAVAILABLE when the process's is at the bound (both retryable, with the limit named).
   */
  assertRoom(tenantId: string): void {
    const tenantHeld = this.held(tenantId);
    if (tenantHeld >= this.options.maxBytesPerTenant) {
      throw new TesseraError(
        'RATE_LIMITED',
        `Your tenant's predictions not yet recorded in the database already take ${tenantHeld} bytes of this models process's prediction log (at most ${this.options.maxBytesPerTenant}); predictions resume once they are written.`,
        { retryAfterSeconds, limit: 'inferenceStatsLogPerTenant', limitValue: this.options.maxBytesPerTenant },
      );
    }
    if (this.total >= this.options.maxBytes) {
      throw new TesseraError('SERVICE_UNAVAILABLE', 'The models service cannot record more predictions until the database takes the ones it holds; retry shortly.', {
        retryAfterSeconds,
        limit: 'inferenceStatsLog',
        limitValue: this.options.maxBytes,
      });
    }
  }
}
