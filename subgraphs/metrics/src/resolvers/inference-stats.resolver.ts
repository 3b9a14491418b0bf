import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { SubgraphContext } from '@tessera/service-kit';
import { InferenceStatsService, type InferenceMinute, type InferenceStats } from '../domain/inference-stats.service';

export const inferenceStatsResolvers: GraphQLResolverMap<SubgraphContext> = {
  Query: {
    inferenceStats: async (_: unknown, args: { modelId: string; from?: string | null; to?: string | null }, ctx: SubgraphContext) =>
      new InferenceStatsService(await ctx.scope()).forModel(args),
  },
  InferenceStats: {
    from: (stats: InferenceStats) => stats.from.toISOString(),
    to: (stats: InferenceStats) => stats.to.toISOString(),
  },
  InferenceMinute: {
    minute: (minute: InferenceMinute) => minute.minute.toISOString(),
  },
};
