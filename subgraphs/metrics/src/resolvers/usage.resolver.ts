import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { AuditPort } from '@tessera/audit/ports';
import { errors } from '@tessera/errors';
import type { DatasetsPort } from '@tessera/datasets/ports';
import type { JobsPort } from '@tessera/jobs/ports';
import type { ModelsPort } from '@tessera/models/ports';
import type { LiveQuotaReader } from '@tessera/quotas';
import type { SubgraphContext } from '@tessera/service-kit';
import { TenantSingleFlight } from '../domain/tenant-single-flight';
import { UsageService, type TenantUsage } from '../domain/usage.service';

/**
 * One answer per request: every alias of `tenantUsage` in an operation asks the same question, and
 * each used to ask the owners' ports again, holding their pools' connections (a job history of a
 * million rows is counted in about a second; 20 aliases held the jobs pool for 8 s).
 */
const answered = new WeakMap<SubgraphContext, Promise<TenantUsage>>();

/** `live` is absent only in a definition built without a runtime (to read its schema): then there is nothing to read from. */
export function usageResolvers(live: LiveQuotaReader | undefined, ports: { jobs: JobsPort; datasets: DatasetsPort; models: ModelsPort; audit: AuditPort } | undefined): GraphQLResolverMap<SubgraphContext> {
  // Concurrent requests of one tenant: at most one count running and one waiting (which they join), per process.
  const flights = new TenantSingleFlight<TenantUsage>();
  return {
    Query: {
      tenantUsage: async (_: unknown, _args: unknown, ctx: SubgraphContext) => {
        if (!live || !ports) throw errors.unavailable('This metrics process has no runtime, so it cannot read usage.');
        let usage = answered.get(ctx);
        if (!usage) {
          usage = ctx.scope().then((scope) => flights.run(scope.tenant.id, () => new UsageService(scope, live, ports).usage()));
          answered.set(ctx, usage);
        }
        return usage;
      },
    },
  };
}
