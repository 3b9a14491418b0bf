import { assertPermission } from '@tessera/auth';
import { notFoundAcrossTenants } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { parseUuid } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import type { ModelsPort } from '@tessera/models/ports';
import { isTesseraError } from '@tessera/errors';

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
  minutes: InferenceMinute[];
}

const maxRangeMs = 31 * 24 * 3600 * 1000;
const defaultRangeMs = 3600 * 1000;

function parseTime(value: string | null | undefined, field: string): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const date = new Date(value);
  if (typeof value !== 'string' || Number.isNaN(date.getTime())) throw errors.badInput(`${field} must be an ISO-8601 date-time.`, { field });
  return date;
}

/**
 * Per-minute inference numbers of one model (all its versions), read from the tenant's own
 * `inference_stats`, which the models subgraph's serving process upserts every few seconds.
 */
export class InferenceStatsService {
  constructor(
    private readonly scope: TenantScope,
    /** The model and its version numbers come from the models service's port. */
    private readonly models: ModelsPort,
  ) {}

  async forModel(args: { modelId: string; from?: string | null; to?: string | null }): Promise<InferenceStats> {
    assertPermission(this.scope.principal, 'read');
    const modelId = parseUuid(args.modelId, 'modelId');
    const to = parseTime(args.to, 'to') ?? new Date();
    const from = parseTime(args.from, 'from') ?? new Date(to.getTime() - defaultRangeMs);
    if (from.getTime() > to.getTime()) throw errors.badInput('from must not be after to.', { field: 'from' });
    if (to.getTime() - from.getTime() > maxRangeMs) throw errors.badInput('The range may cover at most 31 days.', { field: 'from' });

    let numbers: Map<string, number>;
    try {
      numbers = new Map((await this.models.versionNumbers(this.scope.principal, { modelId })).map((v) => [v.id, v.number]));
    } catch (error) {
      if (isTesseraError(error) && error.code === 'NOT_FOUND') throw await notFoundAcrossTenants(this.scope, 'Model', modelId);
      throw error;
    }
    const stored = (await this.scope.db((manager) =>
      manager.query(
        `SELECT s.minute, s.model_version_id, s.calls, s.row_count, s.errors, s.batch_size_sum, s.batch_size_max,
                s.latency_ms_sum, s.latency_ms_max, s.latency_le_5ms, s.latency_le_25ms, s.latency_le_100ms, s.latency_le_500ms
           FROM inference_stats s
          WHERE s.model_id = ? AND s.minute >= ? AND s.minute <= ?
          ORDER BY s.minute`,
        [modelId, new Date(Math.floor(from.getTime() / 60_000) * 60_000), to],
      ),
    )) as Array<Record<string, unknown>>;
    // A deleted version keeps its stats without a number; within a minute, versions by number (unnumbered first).
    const rows = stored
      .map((row): Record<string, unknown> & { number: number | null } => ({ ...row, number: numbers.get(String(row['model_version_id'])) ?? null }))
      .sort((x, y) => minuteOf(x).getTime() - minuteOf(y).getTime() || (x.number ?? -1) - (y.number ?? -1));

    const minutes: InferenceMinute[] = rows.map((row) => {
      const calls = Number(row['calls']);
      const minute = minuteOf(row);
      return {
        minute,
        modelVersionId: String(row['model_version_id']),
        versionNumber: row['number'] === null || row['number'] === undefined ? null : Number(row['number']),
        calls,
        rows: Number(row['row_count']),
        errors: Number(row['errors']),
        meanBatchSize: calls === 0 ? 0 : Number(row['batch_size_sum']) / calls,
        maxBatchSize: Number(row['batch_size_max']),
        meanLatencyMs: calls === 0 ? 0 : Number(row['latency_ms_sum']) / calls,
        maxLatencyMs: Number(row['latency_ms_max']),
        latencyLe5ms: Number(row['latency_le_5ms']),
        latencyLe25ms: Number(row['latency_le_25ms']),
        latencyLe100ms: Number(row['latency_le_100ms']),
        latencyLe500ms: Number(row['latency_le_500ms']),
      };
    });
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
      minutes,
    };
  }
}

function minuteOf(row: Record<string, unknown>): Date {
  return row['minute'] instanceof Date ? row['minute'] : new Date(`${String(row['minute']).replace(' ', 'T')}Z`);
}
