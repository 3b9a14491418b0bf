import { assertPermission } from '@tessera/auth';
import type { JobsPort } from '@tessera/jobs/ports';
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
    /** The job count comes from the jobs service's port. */
    private readonly jobs: JobsPort,
  ) {}

  async usage(): Promise<TenantUsage> {
    assertPermission(this.scope.principal, 'read');
    const [rows, stored, live, jobs] = await Promise.all([
      this.scope.db((manager) =>
        manager.query(`
        SELECT
          (SELECT COUNT(*) FROM datasets WHERE status = 'ACTIVE') AS datasets,
          (SELECT COUNT(*) FROM dataset_versions) AS dataset_versions,
          (SELECT COALESCE(SUM(stored_size), 0) FROM dataset_versions) AS stored_bytes,
          (SELECT COUNT(*) FROM models) AS models,
          -- Recorded events: those already chained plus those still waiting in the outbox for the relay.
          (SELECT COUNT(*) FROM audit_events) + (SELECT COUNT(*) FROM audit_outbox) AS audit_events`),
      ) as Promise<Array<Record<string, string | number>>>,
      new TenantQuotas(this.scope).usage(),
      this.live.usage(this.scope),
      this.jobs.jobCount(this.scope.principal, {}),
    ]);
    const row = rows[0] ?? {};
    return {
      datasets: Number(row['datasets'] ?? 0),
      datasetVersions: Number(row['dataset_versions'] ?? 0),
      storedBytes: Number(row['stored_bytes'] ?? 0),
      models: Number(row['models'] ?? 0),
      jobs,
      auditEvents: Number(row['audit_events'] ?? 0),
      quotas: [...stored.map((quota): StoredQuotaRow => ({ ...quota, windowSeconds: null })), ...live],
    };
  }
}
