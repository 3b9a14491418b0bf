import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { PageArgs, SubgraphContext } from '@tessera/service-kit';
import type { AccessReviewRecord, StaleFindingRecord } from '../data/access-review.repository';
import type { AccessReviewWriter } from '../domain/access-review-writer';
import { AccessReviewService } from '../domain/access-review.service';
import type { ReviewInterval } from '../domain/review-period';

export function accessReviewResolvers(deps: { writer: AccessReviewWriter; interval: ReviewInterval }): GraphQLResolverMap<SubgraphContext> {
  const service = async (ctx: SubgraphContext) => new AccessReviewService(await ctx.scope(), deps.writer, { interval: deps.interval, clock: () => new Date() });
  return {
    Query: {
      accessReviews: async (_: unknown, args: PageArgs, ctx: SubgraphContext) => (await service(ctx)).list(args),
      accessReview: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await service(ctx)).get(args.id),
    },
    Mutation: {
      runAccessReview: async (_: unknown, args: { period?: string | null }, ctx: SubgraphContext) => (await service(ctx)).run(args.period),
    },
    AccessReview: {
      from: (review: AccessReviewRecord) => review.periodStart.toISOString(),
      to: (review: AccessReviewRecord) => review.periodEnd.toISOString(),
      staleAccessCount: (review: AccessReviewRecord) => review.staleCount,
      createdAt: (review: AccessReviewRecord) => review.createdAt.toISOString(),
      staleAccess: async (review: AccessReviewRecord, _args: unknown, ctx: SubgraphContext) => (await service(ctx)).findings(review),
      content: async (review: AccessReviewRecord, _args: unknown, ctx: SubgraphContext) => (await service(ctx)).content(review),
    },
    StaleAccessFinding: {
      grantedAt: (finding: StaleFindingRecord) => finding.grantedAt.toISOString(),
      lastUsedAt: (finding: StaleFindingRecord) => finding.lastUsedAt?.toISOString() ?? null,
      newAlert: (finding: StaleFindingRecord) => finding.alertRaised,
    },
  };
}
