import { tenantQueryTarget } from '@tessera/tenancy';
import { isMeterName, monthStart, type MeterName } from './meters';
import { usageTables, type Queryable } from './usage-tables';

/** One budget of a tenant beside what the tenant used of that meter this month. */
export interface BudgetStatus {
  meter: MeterName;
  monthlyLimit: number;
  /** Percent of the limit at which an alert is raised (once per month). */
  softPercent: number;
  /** Month-to-date amount, as written so far (every process flushes every few seconds). */
  used: number;
  updatedAt: Date;
  updatedBy: string;
}

/** The amount at which a budget's soft threshold is crossed. */
export function softLimitOf(budget: Pick<BudgetStatus, 'monthlyLimit' | 'softPercent'>): number {
  return (budget.monthlyLimit * budget.softPercent) / 100;
}

/** Every budget of the tenant with its month-to-date usage, in one round trip (a service pool: on the tenant's server). */
export async function readBudgetStatuses(db: Queryable, tenantId: string, now = new Date()): Promise<BudgetStatus[]> {
  const tables = usageTables(tenantId);
  const rows = (await (await tenantQueryTarget(db, tenantId)).query(
    `SELECT b.meter, b.monthly_limit, b.soft_percent, b.updated_at, b.updated_by,
            (SELECT COALESCE(SUM(m.amount), 0) FROM ${tables.meters} m WHERE m.meter = b.meter AND m.hour >= ?) AS used
       FROM ${tables.budgets} b ORDER BY b.meter`,
    [monthStart(now)],
  )) as Array<{ meter: string; monthly_limit: number | string; soft_percent: number | string; updated_at: Date; updated_by: string; used: number | string }>;
  return rows
    .filter((row) => isMeterName(row.meter))
    .map((row) => ({
      meter: row.meter as MeterName,
      monthlyLimit: Number(row.monthly_limit),
      softPercent: Number(row.soft_percent),
      used: Number(row.used),
      updatedAt: new Date(row.updated_at),
      updatedBy: row.updated_by,
    }));
}
