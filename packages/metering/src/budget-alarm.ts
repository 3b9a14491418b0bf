import { randomUUID } from 'node:crypto';
import type { Principal } from '@tessera/auth';
import { recordTenantAuditEvent } from '@tessera/audit-client';
import type { EntityManager } from 'typeorm';
import { readBudgetStatuses, softLimitOf } from './budget-status';
import { monthStart, type MeterName } from './meters';
import { usageTables } from './usage-tables';

/** The audit action of a crossed soft threshold; audit alerting (rule USAGE_BUDGET) turns it into an alert. */
export const budgetSoftThresholdAction = 'usage.budget.soft_threshold';

/** Metering as an actor in the tenant's audit trail: no roles, like the other system actors. */
function meteringPrincipal(tenantId: string): Principal {
  return { kind: 'user', subject: 'system:metering', tenantId, roles: [], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
}

/**
 * After usage was added (inside the same transaction): every budget among `meters` whose soft
 * threshold the month-to-date usage reached gets its audit event — once per budget and month,
 * because only the writer whose INSERT created the (meter, month, 'soft') row records it. Alerts
 * then take the one alert path (audit alert engine: stored alert, signed webhook, subscription).
 */
export async function raiseSoftBudgetAlerts(manager: EntityManager, tenantId: string, meters: ReadonlySet<MeterName>, now = new Date()): Promise<number> {
  const tables = usageTables(tenantId);
  const month = monthStart(now);
  let raised = 0;
  for (const budget of await readBudgetStatuses(manager, tenantId, now)) {
    if (!meters.has(budget.meter) || budget.used < softLimitOf(budget)) continue;
    const result = (await manager.query(`INSERT IGNORE INTO ${tables.alerts} (meter, month, kind, used, raised_at) VALUES (?, ?, 'soft', ?, ?)`, [
      budget.meter,
      month,
      budget.used,
      now,
    ])) as { affectedRows?: number };
    if (result.affectedRows !== 1) continue;
    await recordTenantAuditEvent(manager, tenantId, meteringPrincipal(tenantId), {
      action: budgetSoftThresholdAction,
      targetType: 'UsageBudget',
      targetId: budget.meter,
      details: { meter: budget.meter, monthlyLimit: budget.monthlyLimit, softPercent: budget.softPercent, used: Math.round(budget.used * 1000) / 1000, month: month.toISOString().slice(0, 7) },
    });
    raised += 1;
  }
  return raised;
}
