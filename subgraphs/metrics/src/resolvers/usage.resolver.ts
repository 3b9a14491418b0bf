import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { AuditPort } from '@tessera/audit/ports';
import { errors } from '@tessera/errors';
import type { DatasetsPort } from '@tessera/datasets/ports';
import type { JobsPort } from '@tessera/jobs/ports';
import type { ModelsPort } from '@tessera/models/ports';
import type { LiveQuotaReader } from '@tessera/quotas';
import type { SubgraphContext } from '@tessera/service-kit';
import { UsageService } from '../domain/usage.service';

/** `live` is absent only in a definition built without a runtime (to read its schema): then there is nothing to read from. */
export function usageResolvers(live: LiveQuotaReader | undefined, ports: { jobs: JobsPort; datasets: DatasetsPort; models: ModelsPort; audit: AuditPort } | undefined): GraphQLResolverMap<SubgraphContext> {
  return {
    Query: {
      tenantUsage: async (_: unknown, _args: unknown, ctx: SubgraphContext) => {
        if (!live || !ports) throw errors.unavailable('This metrics process has no runtime, so it cannot read usage.');
        return new UsageService(await ctx.scope(), live, ports).usage();
      },
    },
  };
}
