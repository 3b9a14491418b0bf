import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { PageArgs, SubgraphContext } from '@tessera/service-kit';
import type { AccessReviewRecord, StaleFindingRecord } from '../data/access-review.repository';
import type { AccessReviewSchedules } from '../data/access-review-schedule.repository';
import type { AccessReviewConfig } from '../domain/access-review-config';
import { AccessReviewScheduleService, effectiveSchedule, intervalLabel, type AccessReviewScheduleView } from '../domain/access-review-schedule';
import type { AccessReviewWriter } from '../domain/access-review-writer';
import { AccessReviewService } from '../domain/access-review.service';

export function accessReviewResolvers(deps: { writer: AccessReviewWriter; schedules: AccessReviewSchedules; config: AccessReviewConfig }): GraphQLResolverMap<SubgraphContext> {
  const service = async (ctx: SubgraphContext) => {
    const scope = await ctx.scope();
    const interval = async () => effectiveSchedule(deps.config, scope.tenant.createdAt, await deps.schedules.of(scope.tenant.id)).interval;
    return new AccessReviewService(scope, deps.writer, { interval, clock: () => new Date() });
  };
  const schedule = async (ctx: SubgraphContext) => new AccessReviewScheduleService(await ctx.scope(), deps.schedules, deps.config);
  return {
    Query: {
      accessReviews: async (_: unknown, args: PageArgs, ctx: SubgraphContext) => (await service(ctx)).list(args),
      accessReview: async (_: unknown, args: { id: string }, ctx: SubgraphContext) => (await service(ctx)).get(args.id),
      accessReviewSchedule: async (_: unknown, _args: unknown, ctx: SubgraphContext) => (await schedule(ctx)).get(),
    },
    Mutation: {
      runAccessReview: async (_: unknown, args: { period?: string | null }, ctx: SubgraphContext) => (await service(ctx)).run(args.period),
      setAccessReviewSchedule: async (_: unknown, args: { intervalDays?: number | null }, ctx: SubgraphContext) => (await schedule(ctx)).set(args.intervalDays ?? null),
    },
    AccessReviewSchedule: {
      interval: (view: AccessReviewScheduleView) => intervalLabel(view.interval),
      effectiveFrom: (view: AccessReviewScheduleView) => view.row?.effectiveFrom.toISOString() ?? null,
      updatedBy: (view: AccessReviewScheduleView) => view.row?.updatedBy ?? null,
      updatedAt: (view: AccessReviewScheduleView) => view.row?.updatedAt.toISOString() ?? null,
      lastEndedPeriod: (view: AccessReviewScheduleView) => view.lastEndedPeriod.label,
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
