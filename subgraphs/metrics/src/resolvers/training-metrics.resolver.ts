import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { SubgraphContext } from '@tessera/service-kit';
import { TrainingMetricsService, type TrainingMetrics } from '../domain/training-metrics.service';

export const trainingMetricsResolvers: GraphQLResolverMap<SubgraphContext> = {
  Query: {
    trainingMetrics: async (_: unknown, args: { from: unknown; to: unknown }, ctx: SubgraphContext) => new TrainingMetricsService(await ctx.scope()).summary(args),
  },
  TrainingMetrics: {
    from: (m: TrainingMetrics) => m.from.toISOString(),
    to: (m: TrainingMetrics) => m.to.toISOString(),
  },
};
