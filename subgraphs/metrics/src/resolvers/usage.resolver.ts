import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { SubgraphContext } from '@tessera/service-kit';
import { UsageService } from '../domain/usage.service';

export const metricsResolvers: GraphQLResolverMap<SubgraphContext> = {
  Query: {
    tenantUsage: async (_: unknown, _args: unknown, ctx: SubgraphContext) => new UsageService(await ctx.scope()).usage(),
  },
};
