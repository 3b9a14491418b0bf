import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { SubgraphContext } from '@tessera/service-kit';
import type { Anomaly } from '../data/anomaly.repository';
import type { AnomalyEngine } from '../domain/anomaly-engine';
import { AnomalyService } from '../domain/anomaly.service';

export function anomalyResolvers(engine: AnomalyEngine | undefined): GraphQLResolverMap<SubgraphContext> {
  return {
    Query: {
      anomalies: async (_: unknown, args: Record<string, unknown>, ctx: SubgraphContext) =>
        new AnomalyService(await ctx.scope(), engine).list(args as { from: unknown; to: unknown }),
    },
    Anomaly: {
      windowStart: (a: Anomaly) => a.windowStart.toISOString(),
      windowEnd: (a: Anomaly) => a.windowEnd.toISOString(),
      detectedAt: (a: Anomaly) => a.detectedAt.toISOString(),
    },
  };
}
