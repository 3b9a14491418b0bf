import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { SubgraphContext } from '@tessera/service-kit';
import type { RangeReads } from '../domain/range-reads';
import { RequestMetricsService, type OperationMetrics, type RequestMetrics, type RequestMetricsPoint } from '../domain/request-metrics.service';

const operationTypeEnum: Record<string, string> = { query: 'QUERY', mutation: 'MUTATION', subscription: 'SUBSCRIPTION', invalid: 'INVALID' };

export const requestMetricsResolvers = (reads: RangeReads): GraphQLResolverMap<SubgraphContext> => ({
  Query: {
    requestMetrics: async (_: unknown, args: Record<string, unknown>, ctx: SubgraphContext) =>
      new RequestMetricsService(await ctx.scope(), reads).series(args as { from: unknown; to: unknown }),
  },
  RequestMetrics: {
    from: (m: RequestMetrics) => m.from.toISOString(),
    to: (m: RequestMetrics) => m.to.toISOString(),
  },
  RequestMetricsPoint: {
    start: (p: RequestMetricsPoint) => p.start.toISOString(),
    end: (p: RequestMetricsPoint) => p.end.toISOString(),
  },
  OperationMetrics: {
    operationType: (o: OperationMetrics) => operationTypeEnum[o.operationType] ?? 'INVALID',
  },
});
