import type { GraphQLResolverMap } from '@tessera/service-kit';
import { errors } from '@tessera/errors';
import type { JobsPort } from '@tessera/jobs/ports';
import type { SubgraphContext } from '@tessera/service-kit';
import type { RangeReads } from '../domain/range-reads';
import { TrainingMetricsService, type TrainingMetrics } from '../domain/training-metrics.service';

/** `jobs` is absent only in a definition built to read its schema. */
export const trainingMetricsResolvers = (jobs: JobsPort | undefined, reads: RangeReads): GraphQLResolverMap<SubgraphContext> => ({
  Query: {
    trainingMetrics: async (_: unknown, args: { from: unknown; to: unknown }, ctx: SubgraphContext) => {
      if (!jobs) throw errors.unavailable('This metrics process has no jobs port, so it cannot read training metrics.');
      return new TrainingMetricsService(await ctx.scope(), jobs, reads).summary(args);
    },
  },
  TrainingMetrics: {
    from: (m: TrainingMetrics) => m.from.toISOString(),
    to: (m: TrainingMetrics) => m.to.toISOString(),
  },
});
