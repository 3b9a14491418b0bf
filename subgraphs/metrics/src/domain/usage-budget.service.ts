import { assertPermission } from '@tessera/auth';
import { recordAuditEvent } from '@tessera/audit-client';
import { errors } from '@tessera/errors';
import { meterFromEnum, readBudgetStatuses, softLimitOf, type BudgetGuard, type BudgetStatus, type MeterName } from '@tessera/metering';
import type { TenantScope } from '@tessera/tenancy';

export interface UsageBudgetInput {
  meter: unknown;
  monthlyLimit: unknown;
  softPercent?: unknown;
}

/** A budget as the API shows it. */
export interface UsageBudgetView extends BudgetStatus {
  softThresholdReached: boolean;
  limitReached: boolean;
}

/** Largest limit accepted: far above any month of any meter, and exactly representable. */
const maxMonthlyLimit = 1e15;
/**
 * Smallest limit accepted: a millionth of the meter's unit. Anything smaller is no budget anyone
 * means, and a subnormal limit's soft threshold (limit × percent / 100) rounds to 0, which would
 * report the threshold reached with nothing used.
 */
const minMonthlyLimit = 1e-6;

function parseBudgetInput(input: UsageBudgetInput): { meter: MeterName; monthlyLimit: number; softPercent: number } {
  const meter = meterFromEnum(input.meter, 'input.meter');
  const monthlyLimit = input.monthlyLimit;
  if (typeof monthlyLimit !== 'number' || !Number.isFinite(monthlyLimit) || monthlyLimit < minMonthlyLimit || monthlyLimit > maxMonthlyLimit) {
    throw errors.badInput(`input.monthlyLimit must be a number from ${minMonthlyLimit} to ${maxMonthlyLimit}.`, { field: 'input.monthlyLimit' });
  }
  const softPercent = input.softPercent ?? 80;
  if (typeof softPercent !== 'number' || !Number.isInteger(softPercent) || softPercent < 1 || softPercent > 100) {
    throw errors.badInput('input.softPercent must be an integer from 1 to 100.', { field: 'input.softPercent' });
  }
  return { meter, monthlyLimit, softPercent };
}

function view(budget: BudgetStatus): UsageBudgetView {
  return { ...budget, softThresholdReached: budget.used >= softLimitOf(budget), limitReached: budget.used >= budget.monthlyLimit };
}

/**
 * The caller's tenant's monthly budgets (tenant admins only), stored in its own schema. Changes
 * are audited in the transaction that makes them; this process's budget cache forgets the tenant
 * at once, other processes within their cache window (a few seconds).
 */
export class UsageBudgetService {
  constructor(
    private readonly scope: TenantScope,
    private readonly guard: BudgetGuard | undefined,
  ) {}

  async list(): Promise<UsageBudgetView[]> {
    assertPermission(this.scope.principal, 'administer');
    return (await this.scope.db((manager) => readBudgetStatuses(manager, this.scope.tenant.id))).map(view);
  }

  async set(input: UsageBudgetInput): Promise<UsageBudgetView> {
    assertPermission(this.scope.principal, 'administer');
    const { meter, monthlyLimit, softPercent } = parseBudgetInput(input ?? {});
    const tenantId = this.scope.tenant.id;
    const budget = await this.scope.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO usage_budgets (meter, monthly_limit, soft_percent, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE monthly_limit = VALUES(monthly_limit), soft_percent = VALUES(soft_percent), updated_at = VALUES(updated_at), updated_by = VALUES(updated_by)`,
        [meter, monthlyLimit, softPercent, new Date(), this.scope.principal.subject],
      );
      await recordAuditEvent(manager, this.scope.principal, { action: 'usage.budget.set', targetType: 'UsageBudget', targetId: meter, details: { monthlyLimit, softPercent } });
      return (await readBudgetStatuses(manager, tenantId)).find((b) => b.meter === meter)!;
    });
    this.guard?.invalidate(tenantId);
    return view(budget);
  }

  async remove(meterArg: unknown): Promise<boolean> {
    assertPermission(this.scope.principal, 'administer');
    const meter = meterFromEnum(meterArg);
    const tenantId = this.scope.tenant.id;
    const removed = await this.scope.transaction(async (manager) => {
      const result = (await manager.query('DELETE FROM usage_budgets WHERE meter = ?', [meter])) as { affectedRows?: number };
      const done = (result.affectedRows ?? 0) > 0;
      if (done) await recordAuditEvent(manager, this.scope.principal, { action: 'usage.budget.remove', targetType: 'UsageBudget', targetId: meter });
      return done;
    });
    this.guard?.invalidate(tenantId);
    return removed;
  }
}
