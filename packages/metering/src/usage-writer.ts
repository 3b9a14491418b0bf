import type { DataSource, EntityManager } from 'typeorm';
import { tenantDatabase } from '@tessera/tenancy';
import { raiseSoftBudgetAlerts } from './budget-alarm';
import type { UsageRow } from './usage-accumulator';
import { usageTables } from './usage-tables';

/**
 * Adds one tenant's accumulated rows to its `usage_meters` and raises the soft-threshold alerts
 * they cause, in one transaction: a retried write never half-applies, and an alert is recorded
 * only with the usage that crossed the threshold. On the server holding the tenant's schema.
 */
export async function writeTenantUsage(db: DataSource, tenantId: string, rows: readonly UsageRow[]): Promise<void> {
  if (rows.length === 0) return;
  await (await tenantDatabase(db, tenantId)).transaction((manager) => addTenantUsageWithin(manager, tenantId, rows));
}

/** The same inside the caller's transaction (a sample that also moves its clock). */
export async function addTenantUsageWithin(manager: EntityManager, tenantId: string, rows: readonly UsageRow[]): Promise<void> {
  if (rows.length === 0) return;
  await manager.query(
    `INSERT INTO ${usageTables(tenantId).meters} (hour, meter, amount) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}
     ON DUPLICATE KEY UPDATE amount = amount + VALUES(amount)`,
    rows.flatMap((row) => [new Date(row.hourStart), row.meter, row.amount]),
  );
  await raiseSoftBudgetAlerts(manager, tenantId, new Set(rows.map((row) => row.meter)));
}
