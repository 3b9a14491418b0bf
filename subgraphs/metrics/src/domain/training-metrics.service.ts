import { assertPermission } from '@tessera/auth';
import type { TenantScope } from '@tessera/tenancy';
import type { JobsPort } from '@tessera/jobs/ports';
import { parseRange } from './metric-range';
import type { RangeReads } from './range-reads';

export interface TrainingMetrics {
  from: Date;
  to: Date;
  /** TRAIN jobs created in [from, to]. */
  jobs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Queued or running. */
  active: number;
  /** succeeded / (succeeded + failed); cancellations are the user's choice, not failures. Null when none finished. */
  successRate: number | null;
  meanDurationMs: number | null;
  durationP50Ms: number | null;
  durationP95Ms: number | null;
}

const maxRangeMs = 366 * 24 * 3_600_000;

/** Training job numbers of the caller's tenant, from the jobs service's port (its table is not ours to read). */
export class TrainingMetricsService {
  constructor(
    private readonly scope: TenantScope,
    private readonly jobs: JobsPort,
    /**
     * The tenant's turns for range reads: a year of a tenant's jobs is counted and sorted on a
     * connection of the jobs service's pool, and 20 aliased fields held 20 of them.
     */
    private readonly reads?: Pick<RangeReads, 'remote'>,
  ) {}

  async summary(args: { from: unknown; to: unknown }): Promise<TrainingMetrics> {
    assertPermission(this.scope.principal, 'read');
    const { from, to } = parseRange(args, maxRangeMs, '366 days');
    const ask = () => this.jobs.trainingJobStats(this.scope.principal, { from: from.toISOString(), to: to.toISOString(), quantiles: [0.5, 0.95] });
    const stats = await (this.reads ? this.reads.remote(this.scope, ask) : ask());
    const byStatus = new Map(stats.byStatus.map((row) => [row.status, row.jobs]));
    const durations = stats.succeeded;
    const count = (status: string) => byStatus.get(status) ?? 0;
    const succeeded = count('SUCCEEDED');
    const failed = count('FAILED');
    return {
      from,
      to,
      jobs: [...byStatus.values()].reduce((n, c) => n + c, 0),
      succeeded,
      failed,
      cancelled: count('CANCELLED'),
      active: count('QUEUED') + count('RUNNING'),
      successRate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
      meanDurationMs: durations.meanMs,
      durationP50Ms: durations.quantilesMs[0] ?? null,
      durationP95Ms: durations.quantilesMs[1] ?? null,
    };
  }
}
