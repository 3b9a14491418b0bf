import { assertPermission } from '@tessera/auth';
import type { DatasetsPort } from '@tessera/datasets/ports';
import type { JobsPort } from '@tessera/jobs/ports';
import type { ModelsPort } from '@tessera/models/ports';
import { TenantQuotas, type LiveQuotaReader, type LiveQuotaUsage, type QuotaUsage } from '@tessera/quotas';
import type { TenantScope } from '@tessera/tenancy';

/** A stored quota (counted in the tenant's schema) as tenantUsage shows it: no window. */
export type StoredQuotaRow = QuotaUsage & { windowSeconds: null };

export interface TenantUsage {
  datasets: number;
  datasetVersions: number;
  storedBytes: number;
  models: number;
  jobs: number;
  auditEvents: number;
  /** Each quota beside its limit, the numbers the quotas themselves enforce: stored ones first, then live ones. */
  quotas: Array<StoredQuotaRow | LiveQuotaUsage>;
}

/** Usage counters of one tenant, read from its own schema in one round trip, and its quotas from the quotas module. */
export class UsageService {
  constructor(
    private readonly scope: TenantScope,
    /** The live quotas' reader of this process (one Redis connection, owned by the subgraph). */
    private readonly live: LiveQuotaReader,
    /** Dataset, model and job counts come from their owners' ports. */
    private readonly ports: { jobs: JobsPort; datasets: DatasetsPort; models: ModelsPort },
  ) {}

  async usage(): Promise<TenantUsage> {
    assertPermission(this.scope.principal, 'read');
    const actor = this.scope.principal;
    const [rows, stored, live, jobs, datasets, models] = await Promise.all([
      this.scope.db((manager) =>
        manager.query(`
        SELECT
          -- Recorded events: those already chained plus those still waiting in the outbox for the relay.
          (SELECT COUNT(*) FROM audit_events) + (SELECT COUNT(*) FROM audit_outbox) AS audit_events`),
      ) as Promise<Array<Record<string, string | number>>>,
      new TenantQuotas(this.scope).usage(),
      this.ports.jobs.unfinishedJobCount(actor, {}).then((unfinished) => this.live.usage(this.scope, unfinished)),
      this.ports.jobs.jobCount(actor, {}),
      this.ports.datasets.usageCounts(actor, {}),
      this.ports.models.usageCounts(actor, {}),
    ]);
    const row = rows[0] ?? {};
    return {
      datasets: datasets.datasets,
      datasetVersions: datasets.datasetVersions,
      storedBytes: datasets.storedBytes,
      models: models.models,
      jobs,
      auditEvents: Number(row['audit_events'] ?? 0),
      quotas: [...stored.map((quota): StoredQuotaRow => ({ ...quota, windowSeconds: null })), ...live],
    };
  }
}
