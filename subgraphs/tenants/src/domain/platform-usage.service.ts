import type { DataSource } from 'typeorm';
import type { Principal } from '@tessera/auth';
import { errors } from '@tessera/errors';
import { parseDateTimeInput } from '@tessera/service-kit';
import { isMeterName, meterFromEnum, meterNames, usageTables, type MeterName } from '@tessera/metering';
import { tenantSchemaName, tenantsByDatabase, type TenantRecord, type TenantStore } from '@tessera/tenancy';
import { assertPlatformAdmin } from './tenant-admin.service';

export type UsageOrder = 'ASC' | 'DESC';

/** One tenant's totals of every meter over the range. */
export interface TenantUsageTotals {
  tenant: TenantRecord;
  amounts: Record<MeterName, number>;
}

const maxRangeMs = 366 * 86_400_000;
/** Tenant schemas per UNION query: few round trips, statements of bounded size. */
const tenantsPerQuery = 50;
function parseDateTime(value: unknown, field: string): Date {
  return parseDateTimeInput(value, field);
}

function parseOrder(value: unknown): UsageOrder {
  if (value === undefined || value === null) return 'DESC';
  if (value !== 'ASC' && value !== 'DESC') throw errors.badInput('order must be ASC or DESC.', { field: 'order' });
  return value;
}

/**
 * Every tenant's metered totals, for platform operators (showback across tenants). It lives in
 * the control-plane service because a platform admin has no tenant scope: tenants are listed
 * from the control plane, and of each tenant schema only the aggregated `usage_meters` amounts
 * are read (schema-qualified, from validated tenant ids) — never tenant data.
 */
export class PlatformUsageService {
  constructor(
    private readonly principal: Principal,
    private readonly deps: { store: TenantStore; db: DataSource },
  ) {}

  async totals(args: { from: unknown; to: unknown; meter?: unknown; order?: unknown }): Promise<TenantUsageTotals[]> {
    assertPlatformAdmin(this.principal);
    const from = parseDateTime(args.from, 'from');
    const to = parseDateTime(args.to, 'to');
    if (from.getTime() > to.getTime()) throw errors.badInput('from must not be after to.', { field: 'from' });
    if (to.getTime() - from.getTime() > maxRangeMs) throw errors.badInput('The range may cover at most 366 days.', { field: 'from' });
    const sortBy = args.meter === undefined || args.meter === null ? 'costUnits' : meterFromEnum(args.meter);
    const order = parseOrder(args.order);

    const tenants = await this.metered(await this.deps.store.list());
    const sums = new Map<string, Record<MeterName, number>>(tenants.map((t) => [t.id, Object.fromEntries(meterNames.map((m) => [m, 0])) as Record<MeterName, number>]));
    // From the start of the hour holding `from`: meters are hourly, an hour counts when it overlaps the range.
    const firstHour = new Date(Math.floor(from.getTime() / 3_600_000) * 3_600_000);
    // Each database server (REGION_DATABASES) is asked about the tenants whose schemas it holds.
    for (const group of await tenantsByDatabase(this.deps.db, tenants.map((t) => t.id))) {
      for (let i = 0; i < group.tenantIds.length; i += tenantsPerQuery) {
        const chunk = group.tenantIds.slice(i, i + tenantsPerQuery);
        const sql = chunk.map((id) => `SELECT ? AS tenant_id, meter, SUM(amount) AS amount FROM ${usageTables(id).meters} WHERE hour >= ? AND hour <= ? GROUP BY meter`).join(' UNION ALL ');
        const rows = (await group.db.query(sql, chunk.flatMap((id) => [id, firstHour, to]))) as Array<{ tenant_id: string; meter: string; amount: number | string }>;
        for (const row of rows) if (isMeterName(row.meter)) sums.get(row.tenant_id)![row.meter] += Number(row.amount);
      }
    }
    const sign = order === 'ASC' ? 1 : -1;
    return tenants
      .map((tenant) => ({ tenant, amounts: sums.get(tenant.id)! }))
      .sort((a, b) => sign * (a.amounts[sortBy] - b.amounts[sortBy]) || a.tenant.id.localeCompare(b.tenant.id));
  }

  /** The tenants whose schema has the usage table (a tenant being provisioned or removed may not). */
  private async metered(tenants: TenantRecord[]): Promise<TenantRecord[]> {
    if (tenants.length === 0) return [];
    const present = new Set<string>();
    for (const group of await tenantsByDatabase(this.deps.db, tenants.map((t) => t.id))) {
      const rows = (await group.db.query(
        `SELECT TABLE_SCHEMA AS name FROM information_schema.TABLES WHERE TABLE_NAME = 'usage_meters' AND TABLE_SCHEMA IN (${group.tenantIds.map(() => '?').join(', ')})`,
        group.tenantIds.map((id) => tenantSchemaName(id)),
      )) as Array<{ name: string }>;
      for (const row of rows) present.add(row.name);
    }
    return tenants.filter((t) => present.has(tenantSchemaName(t.id)));
  }
}
