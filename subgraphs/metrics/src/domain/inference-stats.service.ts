import { assertPermission } from '@tessera/auth';
import { notFoundAcrossTenants } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { parseUuid } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import { parseDateTime } from './metric-range';
import type { InferenceGranularity, InferenceMinuteStats, ModelsPort } from '@tessera/models/ports';
import { isTesseraError } from '@tessera/errors';
import type { RangeReads } from './range-reads';

export interface InferenceMinute {
  minute: Date;
  modelVersionId: string;
  /** Null when the version has been deleted since (its stats are kept). */
  versionNumber: number | null;
  calls: number;
  rows: number;
  errors: number;
  meanBatchSize: number;
  maxBatchSize: number;
  meanLatencyMs: number;
  maxLatencyMs: number;
  latencyLe5ms: number;
  latencyLe25ms: number;
  latencyLe100ms: number;
  latencyLe500ms: number;
}

export interface InferenceStats {
  modelId: string;
  from: Date;
  to: Date;
  calls: number;
  rows: number;
  errors: number;
  meanLatencyMs: number;
  maxLatencyMs: number;
  meanBatchSize: number;
  maxBatchSize: number;
  granularity: InferenceGranularity;
  minutes: InferenceMinute[];
}

const maxRangeMs = 31 * 24 * 3600 * 1000;
const defaultRangeMs = 3600 * 1000;

/** An optional DateTime argument, parsed as strictly as every other one (metric-range.ts). */
function parseTime(value: string | null | undefined, field: string): Date | undefined {
  if (value === null || value === undefined) return undefined;
  return parseDateTime(value, field);
}

/**
 * Per-minute inference numbers of one model (all its versions), from the models service's port
 * (the serving process adds them up per minute and version; this service never reads its table).
 */
export class InferenceStatsService {
  constructor(
    private readonly scope: TenantScope,
    private readonly models: Pick<ModelsPort, 'inferenceMinutes'>,
    /** The tenant's turns for range reads: without them, one operation's 20 aliased fields held 20 of the models pool's connections. */
    private readonly reads?: Pick<RangeReads, 'remote'>,
  ) {}

  async forModel(args: { modelId: string; from?: string | null; to?: string | null; granularity?: InferenceGranularity | null }): Promise<InferenceStats> {
    assertPermission(this.scope.principal, 'read');
    const modelId = parseUuid(args.modelId, 'modelId');
    const to = parseTime(args.to, 'to') ?? new Date();
    const from = parseTime(args.from, 'from') ?? new Date(to.getTime() - defaultRangeMs);
    if (from.getTime() > to.getTime()) throw errors.badInput('from must not be after to.', { field: 'from' });
    if (to.getTime() - from.getTime() > maxRangeMs) throw errors.badInput('The range may cover at most 31 days.', { field: 'from' });
    const granularity = args.granularity ?? 'MINUTE';
    const bucketMs = granularity === 'HOUR' ? 3_600_000 : 60_000;

    let stored: InferenceMinuteStats[];
    try {
      // The minute (hour) `from` falls in counts whole.
      const bucketStart = new Date(Math.floor(from.getTime() / bucketMs) * bucketMs).toISOString();
      const ask = () => this.models.inferenceMinutes(this.scope.principal, { modelId, from: bucketStart, to: to.toISOString(), granularity });
      stored = await (this.reads ? this.reads.remote(this.scope, ask) : ask());
    } catch (error) {
      if (isTesseraError(error) && error.code === 'NOT_FOUND') throw await notFoundAcrossTenants(this.scope, 'Model', modelId);
      throw error;
    }
    const minutes: InferenceMinute[] = stored.map((row) => ({
      minute: new Date(row.minute),
      modelVersionId: row.modelVersionId,
      versionNumber: row.versionNumber,
      calls: row.calls,
      rows: row.rows,
      errors: row.errors,
      meanBatchSize: row.calls === 0 ? 0 : row.batchSizeSum / row.calls,
      maxBatchSize: row.batchSizeMax,
      meanLatencyMs: row.calls === 0 ? 0 : row.latencyMsSum / row.calls,
      maxLatencyMs: row.latencyMsMax,
      latencyLe5ms: row.latencyLe5ms,
      latencyLe25ms: row.latencyLe25ms,
      latencyLe100ms: row.latencyLe100ms,
      latencyLe500ms: row.latencyLe500ms,
    }));
    const calls = minutes.reduce((n, m) => n + m.calls, 0);
    return {
      modelId,
      from,
      to,
      calls,
      rows: minutes.reduce((n, m) => n + m.rows, 0),
      errors: minutes.reduce((n, m) => n + m.errors, 0),
      meanLatencyMs: calls === 0 ? 0 : minutes.reduce((n, m) => n + m.meanLatencyMs * m.calls, 0) / calls,
      maxLatencyMs: minutes.reduce((n, m) => Math.max(n, m.maxLatencyMs), 0),
      meanBatchSize: calls === 0 ? 0 : minutes.reduce((n, m) => n + m.meanBatchSize * m.calls, 0) / calls,
      maxBatchSize: minutes.reduce((n, m) => Math.max(n, m.maxBatchSize), 0),
      granularity,
      minutes,
    };
  }
}
