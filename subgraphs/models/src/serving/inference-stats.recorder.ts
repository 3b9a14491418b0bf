import type { Principal } from '@tessera/auth';
import { recordAuditEvent } from '@tessera/audit-client';
import type { Logger } from '@tessera/config';
import type { TenantScopeFactory } from '@tessera/tenancy';

/** One predict call that reached an inference pool, as the models subgraph saw it. */
export interface InferenceCall {
  principal: Principal;
  tenantId: string;
  modelId: string;
  versionId: string;
  rows: number;
  /** Calls merged into the run that served this one (1 = ran alone); 0 when it failed before running. */
  batchSize: number;
  latencyMs: number;
  ok: boolean;
  errorCode?: string | undefined;
}

interface StatsDelta {
  tenantId: string;
  modelId: string;
  versionId: string;
  minute: Date;
  calls: number;
  rows: number;
  errors: number;
  batchSizeSum: number;
  batchSizeMax: number;
  latencySum: number;
  latencyMax: number;
  le5: number;
  le25: number;
  le100: number;
  le500: number;
}

interface AuditTally {
  principal: Principal;
  tenantId: string;
  modelId: string;
  versionId: string;
  minute: Date;
  calls: number;
  rows: number;
  errors: number;
}

export interface InferenceStatsOptions {
  /** How often pending stats are upserted (and finished minutes audited). */
  flushIntervalMs: number;
  /** Pending data older than this is dropped when its tenant cannot be written (suspended, deleted). */
  maxRetryAgeMs: number;
}

const minuteOf = (at: number) => new Date(Math.floor(at / 60_000) * 60_000);

/**
 * Aggregates predict calls in memory and writes them in batches, so the hot path never waits for
 * MySQL:
 * - stats: one row per model version per minute in the tenant's `inference_stats`, upserted every
 *   `flushIntervalMs` with the deltas since the last flush (calls, rows, errors, batch sizes,
 *   latency sum/max and ≤5/25/100/500 ms buckets);
 * - audit: ONE `model.predict` event per model version, minute and principal, written in the
 *   same transaction as the stats once the minute is over (or at shutdown / `flush({ closeAll })`),
 *   carrying that principal's call, row and error counts for the minute.
 * Data still in memory when the process dies is lost (at most one flush interval of stats and
 * the current minute's audit tallies); see the README.
 */
export class InferenceStatsRecorder {
  private deltas = new Map<string, StatsDelta>();
  private tallies = new Map<string, AuditTally>();
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly scopes: TenantScopeFactory,
    private readonly logger: Logger,
    private readonly options: InferenceStatsOptions,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), options.flushIntervalMs);
    this.timer.unref();
  }

  record(call: InferenceCall): void {
    const at = Date.now();
    const minute = minuteOf(at);
    const key = `${call.tenantId}|${call.versionId}|${minute.getTime()}`;
    let delta = this.deltas.get(key);
    if (!delta) {
      delta = {
        tenantId: call.tenantId,
        modelId: call.modelId,
        versionId: call.versionId,
        minute,
        calls: 0,
        rows: 0,
        errors: 0,
        batchSizeSum: 0,
        batchSizeMax: 0,
        latencySum: 0,
        latencyMax: 0,
        le5: 0,
        le25: 0,
        le100: 0,
        le500: 0,
      };
      this.deltas.set(key, delta);
    }
    delta.calls += 1;
    delta.rows += call.rows;
    if (!call.ok) delta.errors += 1;
    delta.batchSizeSum += call.batchSize;
    delta.batchSizeMax = Math.max(delta.batchSizeMax, call.batchSize);
    delta.latencySum += call.latencyMs;
    delta.latencyMax = Math.max(delta.latencyMax, call.latencyMs);
    if (call.latencyMs <= 5) delta.le5 += 1;
    if (call.latencyMs <= 25) delta.le25 += 1;
    if (call.latencyMs <= 100) delta.le100 += 1;
    if (call.latencyMs <= 500) delta.le500 += 1;

    const tallyKey = `${key}|${call.principal.subject}`;
    let tally = this.tallies.get(tallyKey);
    if (!tally) {
      tally = { principal: call.principal, tenantId: call.tenantId, modelId: call.modelId, versionId: call.versionId, minute, calls: 0, rows: 0, errors: 0 };
      this.tallies.set(tallyKey, tally);
    }
    tally.calls += 1;
    tally.rows += call.rows;
    if (!call.ok) tally.errors += 1;
  }

  /** Writes pending stats; audits finished minutes, or every minute with `closeAll` (shutdown, tests). */
  flush(options: { closeAll?: boolean } = {}): Promise<void> {
    const run = this.flushing.then(() => this.flushNow(options.closeAll ?? false));
    this.flushing = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush({ closeAll: true });
  }

  private async flushNow(closeAll: boolean): Promise<void> {
    const deltas = [...this.deltas.values()];
    this.deltas = new Map();
    const currentMinute = minuteOf(Date.now()).getTime();
    const closing: AuditTally[] = [];
    for (const [key, tally] of this.tallies) {
      if (closeAll || tally.minute.getTime() < currentMinute) {
        closing.push(tally);
        this.tallies.delete(key);
      }
    }
    const tenants = new Set([...deltas.map((d) => d.tenantId), ...closing.map((t) => t.tenantId)]);
    for (const tenantId of tenants) {
      const tenantDeltas = deltas.filter((d) => d.tenantId === tenantId);
      const tenantTallies = closing.filter((t) => t.tenantId === tenantId);
      try {
        await this.writeTenant(tenantDeltas, tenantTallies);
      } catch (error) {
        this.logger.warn('inference stats flush failed; will retry', { tenantId, error: error instanceof Error ? error.message : String(error) });
        this.restore(tenantDeltas, tenantTallies);
      }
    }
  }

  private async writeTenant(deltas: StatsDelta[], tallies: AuditTally[]): Promise<void> {
    const principal = tallies[0]?.principal ?? this.principalFor(deltas[0]!);
    const scope = await this.scopes.forPrincipal(principal);
    await scope.transaction(async (manager) => {
      for (const d of deltas) {
        await manager.query(
          `INSERT INTO inference_stats
             (model_version_id, model_id, minute, calls, row_count, errors, batch_size_sum, batch_size_max,
              latency_ms_sum, latency_ms_max, latency_le_5ms, latency_le_25ms, latency_le_100ms, latency_le_500ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE
             calls = calls + VALUES(calls), row_count = row_count + VALUES(row_count), errors = errors + VALUES(errors),
             batch_size_sum = batch_size_sum + VALUES(batch_size_sum), batch_size_max = GREATEST(batch_size_max, VALUES(batch_size_max)),
             latency_ms_sum = latency_ms_sum + VALUES(latency_ms_sum), latency_ms_max = GREATEST(latency_ms_max, VALUES(latency_ms_max)),
             latency_le_5ms = latency_le_5ms + VALUES(latency_le_5ms), latency_le_25ms = latency_le_25ms + VALUES(latency_le_25ms),
             latency_le_100ms = latency_le_100ms + VALUES(latency_le_100ms), latency_le_500ms = latency_le_500ms + VALUES(latency_le_500ms)`,
          [d.versionId, d.modelId, d.minute, d.calls, d.rows, d.errors, d.batchSizeSum, d.batchSizeMax, d.latencySum, d.latencyMax, d.le5, d.le25, d.le100, d.le500],
        );
      }
      for (const t of tallies) {
        await recordAuditEvent(manager, t.principal, {
          action: 'model.predict',
          targetType: 'ModelVersion',
          targetId: t.versionId,
          details: { modelId: t.modelId, minute: t.minute.toISOString(), calls: t.calls, rows: t.rows, errors: t.errors, aggregated: true },
        });
      }
    });
  }

  /** Stats of a tenant with no audit tally to flush carry the principal of the delta's first call. */
  private principalFor(delta: StatsDelta): Principal {
    const tally = [...this.tallies.values()].find((t) => t.tenantId === delta.tenantId);
    if (tally) return tally.principal;
    return { kind: 'user', subject: 'inference-stats', tenantId: delta.tenantId, roles: ['viewer'], clientId: undefined, requestId: 'inference-stats', sourceIp: undefined };
  }

  private restore(deltas: StatsDelta[], tallies: AuditTally[]): void {
    const oldest = Date.now() - this.options.maxRetryAgeMs;
    for (const d of deltas) {
      if (d.minute.getTime() < oldest) continue;
      const key = `${d.tenantId}|${d.versionId}|${d.minute.getTime()}|retry`;
      const existing = this.deltas.get(key);
      if (!existing) this.deltas.set(key, d);
      else mergeDelta(existing, d);
    }
    for (const t of tallies) {
      if (t.minute.getTime() < oldest) continue;
      const key = `${t.tenantId}|${t.versionId}|${t.minute.getTime()}|${t.principal.subject}`;
      const existing = this.tallies.get(key);
      if (!existing) this.tallies.set(key, t);
      else {
        existing.calls += t.calls;
        existing.rows += t.rows;
        existing.errors += t.errors;
      }
    }
  }
}

function mergeDelta(into: StatsDelta, from: StatsDelta): void {
  into.calls += from.calls;
  into.rows += from.rows;
  into.errors += from.errors;
  into.batchSizeSum += from.batchSizeSum;
  into.batchSizeMax = Math.max(into.batchSizeMax, from.batchSizeMax);
  into.latencySum += from.latencySum;
  into.latencyMax = Math.max(into.latencyMax, from.latencyMax);
  into.le5 += from.le5;
  into.le25 += from.le25;
  into.le100 += from.le100;
  into.le500 += from.le500;
}
