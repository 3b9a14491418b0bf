import type { GraphQLResolverMap } from '@tessera/service-kit';
import { errors } from '@tessera/errors';
import type { ModelsPort } from '@tessera/models/ports';
import type { SubgraphContext } from '@tessera/service-kit';
import { InferenceStatsService, type InferenceMinute, type InferenceStats } from '../domain/inference-stats.service';
import type { RangeReads } from '../domain/range-reads';

/** `models` is absent only in a definition built to read its schema. */
export const inferenceStatsResolvers = (models: ModelsPort | undefined, reads: RangeReads): GraphQLResolverMap<SubgraphContext> => ({
  Query: {
    inferenceStats: async (_: unknown, args: { modelId: string; from?: string | null; to?: string | null; granularity?: 'MINUTE' | 'HOUR' | null }, ctx: SubgraphContext) => {
      if (!models) throw errors.unavailable('This metrics process has no models port, so it cannot read inference stats.');
      return new InferenceStatsService(await ctx.scope(), models, reads).forModel(args);
    },
  },
  InferenceStats: {
    from: (stats: InferenceStats) => stats.from.toISOString(),
    to: (stats: InferenceStats) => stats.to.toISOString(),
  },
  InferenceMinute: {
    minute: (minute: InferenceMinute) => minute.minute.toISOString(),
  },
});
