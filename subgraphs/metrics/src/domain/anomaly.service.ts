import { assertPermission } from '@tessera/auth';
import { errors } from '@tessera/errors';
import type { TenantScope } from '@tessera/tenancy';
import { listAnomalies, type Anomaly } from '../data/anomaly.repository';
import type { AnomalyEngine } from './anomaly-engine';
import { anomalyMetrics, type AnomalyMetric } from './anomaly-series';
import { parseRange } from './metric-range';

export const maxAnomaliesPage = 500;
const maxRangeMs = 92 * 24 * 3_600_000;

/** What the detector flagged for the caller's tenant. */
export class AnomalyService {
  constructor(
    private readonly scope: TenantScope,
    private readonly engine: AnomalyEngine | undefined,
  ) {}

  /** Judges the buckets that settled since the last pass first, so the answer is current. */
  async list(args: { from: unknown; to: unknown; metric?: unknown; first?: unknown }): Promise<Anomaly[]> {
    assertPermission(this.scope.principal, 'read');
    const { from, to } = parseRange(args, maxRangeMs, '92 days');
    const metric = args.metric ?? undefined;
    if (metric !== undefined && !(anomalyMetrics as readonly unknown[]).includes(metric)) {
      throw errors.badInput(`metric must be one of ${anomalyMetrics.join(', ')}.`, { field: 'metric' });
    }
    const first = args.first ?? 100;
    if (typeof first !== 'number' || !Number.isInteger(first) || first < 1 || first > maxAnomaliesPage) {
      throw errors.badInput(`first must be between 1 and ${maxAnomaliesPage}.`, { field: 'first' });
    }
    await this.engine?.refresh(this.scope);
    return this.scope.db((manager) => listAnomalies(manager, from, to, metric as AnomalyMetric | undefined, first));
  }
}
