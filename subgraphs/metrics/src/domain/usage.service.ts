import type { AuditPort } from '@tessera/audit/ports';
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

/** Usage counters of one tenant, each from its owner's port, and its quotas from the quotas module. */
export class UsageService {
  constructor(
    private readonly scope: TenantScope,
    /** The live quotas' reader of this process (one Redis connection, owned by the subgraph). */
    private readonly live: LiveQuotaReader,
    /** Dataset, model, job and audit-event counts come from their owners' ports. */
    private readonly ports: { jobs: JobsPort; datasets: DatasetsPort; models: ModelsPort; audit: AuditPort },
  ) {}

  async usage(): Promise<TenantUsage> {
    assertPermission(this.scope.principal, 'read');
    const actor = this.scope.principal;
    const [auditEvents, stored, live, jobs, datasets, models] = await Promise.all([
      // Recorded events: those already chained plus those still waiting in the outbox for the relay.
      this.ports.audit.eventCount(actor, {}),
      new TenantQuotas(this.scope).usage(),
      this.ports.jobs.unfinishedJobCount(actor, {}).then((unfinished) => this.live.usage(this.scope, unfinished)),
      this.ports.jobs.jobCount(actor, {}),
      this.ports.datasets.usageCounts(actor, {}),
      this.ports.models.usageCounts(actor, {}),
    ]);
    return {
      datasets: datasets.datasets,
      datasetVersions: datasets.datasetVersions,
      storedBytes: datasets.storedBytes,
      models: models.models,
      jobs,
      auditEvents,
      quotas: [...stored.map((quota): StoredQuotaRow => ({ ...quota, windowSeconds: null })), ...live],
    };
  }
}
