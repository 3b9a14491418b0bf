import { TesseraError } from '@tessera/errors';

export interface PredictionBacklogOptions {
  /** Bytes the prediction log directory may hold unwritten to MySQL (INFERENCE_STATS_LOG_MAX_MB). */
  maxBytes: number;
  /** Of which one tenant's lines may take at most this many (INFERENCE_STATS_LOG_PER_TENANT_MB), so one tenant's backlog cannot take the whole bound. */
  maxBytesPerTenant: number;
  /**
   * Bytes this process's own log files take: more than its unwritten lines when a segment holds
   * written lines beside one not written yet (a segment is deleted only once all of it is written).
   */
  ownLogBytes?: () => number;
}

/** What the other logs in the directory hold: their bytes on disk, and the lines of theirs known per tenant. */
export interface LeftoverLogs {
  bytes: number;
  byTenant: ReadonlyMap<string, number>;
}

/** What a refused predict is told to wait: a flush comes every few seconds once the database answers. */
const retryAfterSeconds = 5;

/**
 * The bytes of the prediction log directory whose calls are not in MySQL yet, per tenant and in
 * all: this process's own lines, and the logs that other processes left there (dead processes'
 * logs wait for a replay; during a database outage each crash would otherwise leave up to a whole
 * bound behind it, and the next process would start again from nothing). Pending stats and audit
 * are never given up while the database is only unreachable (they are owed: the calls were
 * answered), so what bounds the log's disk during an outage is admission: a predict is refused
 * before it runs once the backlog is at its bound, and no call is answered without its line being
 * in the log.
 */
export class PredictionBacklog {
  private total = 0;
  private readonly byTenant = new Map<string, number>();
  private leftover: LeftoverLogs = { bytes: 0, byTenant: new Map() };

  constructor(readonly options: PredictionBacklogOptions) {
    if (options.maxBytesPerTenant < 1 || options.maxBytes < 1) throw new RangeError('the prediction log backlog needs room for at least one byte');
  }

  /**
   * Bytes not yet written: in all, what the directory holds (this process's log files and the
   * others'); of one tenant, its lines in this process's log and in the logs read by a replay.
   */
  held(tenantId?: string): number {
    if (tenantId === undefined) return Math.max(this.total, this.options.ownLogBytes?.() ?? 0) + this.leftover.bytes;
    return (this.byTenant.get(tenantId) ?? 0) + (this.leftover.byTenant.get(tenantId) ?? 0);
  }

  /** What the other logs in the directory hold now (measured at start, at each flush and replay). */
  setLeftover(leftover: LeftoverLogs): void {
    this.leftover = leftover;
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
        `Your tenant's predictions not yet recorded in the database already take ${tenantHeld} bytes of the models service's prediction log (at most ${this.options.maxBytesPerTenant}); predictions resume once they are written.`,
        { retryAfterSeconds, limit: 'inferenceStatsLogPerTenant', limitValue: this.options.maxBytesPerTenant },
      );
    }
    if (this.held() >= this.options.maxBytes) {
      throw new TesseraError('SERVICE_UNAVAILABLE', 'The models service cannot record more predictions until the database takes the ones it holds; retry shortly.', {
        retryAfterSeconds,
        limit: 'inferenceStatsLog',
        limitValue: this.options.maxBytes,
      });
    }
  }
}
