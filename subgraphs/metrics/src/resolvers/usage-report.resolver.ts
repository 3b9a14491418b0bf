import type { GraphQLResolverMap } from '@tessera/service-kit';
import { meterEnumValue, type BudgetGuard } from '@tessera/metering';
import type { SubgraphContext } from '@tessera/service-kit';
import { UsageBudgetService, type UsageBudgetInput, type UsageBudgetView } from '../domain/usage-budget.service';
import type { UsagePoint, UsageReport } from '../domain/usage-report.service';
import { UsageReportService } from '../domain/usage-report.service';
import type { RangeReads } from '../domain/range-reads';

export function usageReportResolvers(guard: BudgetGuard | undefined, reads: RangeReads): GraphQLResolverMap<SubgraphContext> {
  const budgets = async (ctx: SubgraphContext) => new UsageBudgetService(await ctx.scope(), guard);
  return {
    Query: {
      usageReport: async (_: unknown, args: Record<string, unknown>, ctx: SubgraphContext) =>
        new UsageReportService(await ctx.scope(), reads).report(args as { from: unknown; to: unknown; granularity?: unknown }),
      usageBudgets: async (_: unknown, _args: unknown, ctx: SubgraphContext) => (await budgets(ctx)).list(),
    },
    Mutation: {
      setUsageBudget: async (_: unknown, args: { input: UsageBudgetInput }, ctx: SubgraphContext) => (await budgets(ctx)).set(args.input),
      removeUsageBudget: async (_: unknown, args: { meter: unknown }, ctx: SubgraphContext) => (await budgets(ctx)).remove(args.meter),
    },
    UsageReport: {
      from: (r: UsageReport) => r.from.toISOString(),
      to: (r: UsageReport) => r.to.toISOString(),
    },
    UsagePoint: {
      start: (p: UsagePoint) => p.start.toISOString(),
      end: (p: UsagePoint) => p.end.toISOString(),
    },
    UsageBudget: {
      meter: (b: UsageBudgetView) => meterEnumValue(b.meter),
      usedThisMonth: (b: UsageBudgetView) => b.used,
      updatedAt: (b: UsageBudgetView) => b.updatedAt.toISOString(),
    },
  };
}
