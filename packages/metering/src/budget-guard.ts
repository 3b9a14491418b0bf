import { errors } from '@tessera/errors';
import { readBudgetStatuses, type BudgetStatus } from './budget-status';
import { budgetQuotaName, type MeterName } from './meters';
import type { Queryable } from './usage-tables';

interface CachedBudgets {
  readAt: number;
  budgets: Promise<BudgetStatus[]>;
}

/** This process's unwritten amounts of a tenant, if it meters anything (see UsageRecorder.pending). */
export type PendingUsage = (tenantId: string) => Map<MeterName, number>;

/**
 * Refuses new work of a tenant whose month-to-date usage of a meter reached the budget's limit:
 * QUOTA_EXCEEDED with `quota: budget.<meter>`, `limit` and `used`. Each tenant's budgets and usage
 * are read at most once per `cacheMs` (concurrent checks share the read), so a request costs a
 * map lookup, not a database call; the usage this process has not written yet is added in.
 */
export class BudgetGuard {
  private readonly cache = new Map<string, CachedBudgets>();

  constructor(private readonly deps: { db: Queryable; cacheMs: number; pending?: PendingUsage; now?: () => number }) {}

  async assertWithin(tenantId: string, meters: readonly MeterName[]): Promise<void> {
    if (meters.length === 0) return;
    assertBudgets(await this.budgetsOf(tenantId), meters, this.deps.pending?.(tenantId));
  }

  /** Forgets a tenant's cached budgets (after this process changed them). */
  invalidate(tenantId: string): void {
    this.cache.delete(tenantId);
  }

  private budgetsOf(tenantId: string): Promise<BudgetStatus[]> {
    const now = this.deps.now?.() ?? Date.now();
    const cached = this.cache.get(tenantId);
    if (cached && now - cached.readAt < this.deps.cacheMs) return cached.budgets;
    const budgets = readBudgetStatuses(this.deps.db, tenantId, new Date(now));
    const entry = { readAt: now, budgets };
    this.cache.set(tenantId, entry);
    // A failed read is not cached: the next check tries again.
    budgets.catch(() => {
      if (this.cache.get(tenantId) === entry) this.cache.delete(tenantId);
    });
    // Bounded: only tenants checked within the window stay (a sweep on growth, not per call).
    if (this.cache.size > 10_000) for (const [id, value] of this.cache) if (now - value.readAt >= this.deps.cacheMs) this.cache.delete(id);
    return budgets;
  }
}

/**
 * The same check read fresh, for rare writes that already hold a transaction (storage
 * reservations): no cache, so the refusal is exact at the cost of one query per reservation.
 */
export async function assertWithinBudgetsNow(db: Queryable, tenantId: string, meters: readonly MeterName[]): Promise<void> {
  if (meters.length === 0) return;
  assertBudgets(await readBudgetStatuses(db, tenantId), meters, undefined);
}

function assertBudgets(budgets: readonly BudgetStatus[], meters: readonly MeterName[], pending: Map<MeterName, number> | undefined): void {
  for (const budget of budgets) {
    if (!meters.includes(budget.meter)) continue;
    const used = budget.used + (pending?.get(budget.meter) ?? 0);
    if (used >= budget.monthlyLimit) {
      throw errors.quotaExceeded(`The monthly ${budget.meter} budget of your tenant is used up (${round(used)} of ${round(budget.monthlyLimit)}); new work is refused until next month or a higher budget.`, {
        quota: budgetQuotaName(budget.meter),
        limit: budget.monthlyLimit,
        used: round(used),
      });
    }
  }
}

/** Three decimals, or six significant digits for what is smaller (a limit of 0.000001 is not "0"). */
function round(value: number): number {
  const rounded = Math.round(value * 1000) / 1000;
  return rounded === 0 && value !== 0 ? Number(value.toPrecision(6)) : rounded;
}
