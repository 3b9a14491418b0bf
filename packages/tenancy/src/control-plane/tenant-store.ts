import type { DataSource, EntityManager } from 'typeorm';
import { quoteIdentifier } from '../tenant-id';
import { defaultTenantLimits, effectiveLimits, storedLimitOverrides, type TenantLimitOverrides, type TenantLimits } from '../tenant-limits';
import type { TenantRecord, TenantStatus, TenantTier } from '../tenant-record';

interface TenantRow {
  id: string;
  display_name: string;
  region: string;
  tier: string;
  status: string;
  limit_overrides: unknown;
  created_at: Date;
  updated_at: Date;
}

function toRecord(row: TenantRow, defaults: TenantLimits): TenantRecord {
  const limitOverrides = storedLimitOverrides(row.limit_overrides);
  return {
    id: row.id,
    displayName: row.display_name,
    region: row.region,
    tier: row.tier as TenantTier,
    status: row.status as TenantStatus,
    limits: effectiveLimits(defaults, limitOverrides),
    limitOverrides,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/**
 * Control-plane tenant rows. Every query takes the tenant id as a bound parameter; there is no
 * "all rows" accessor except `list`, which only the platform-admin path calls, and `listStatuses`
 * and `listPlacements`, which background sweeps call (ids, statuses, tiers and regions only).
 */
export class TenantStore {
  private readonly table: string;

  /**
   * `limitDefaults`: the platform's defaults (TENANT_LIMIT_DEFAULTS), under every tenant's overrides.
   * `source`: the table or view rows are read from; a dedicated tenant's workers read theirs through
   * `dedicated_worker_tenants`, the view that shows their account its own tenant's row only.
   */
  constructor(
    private readonly db: DataSource,
    controlSchema: string,
    readonly limitDefaults: TenantLimits = defaultTenantLimits,
    source = 'tenants',
  ) {
    this.table = `${quoteIdentifier(controlSchema)}.${quoteIdentifier(source)}`;
  }

  async find(tenantId: string, manager: EntityManager = this.db.manager): Promise<TenantRecord | undefined> {
    const rows = (await manager.query(`SELECT * FROM ${this.table} WHERE id = ?`, [tenantId])) as TenantRow[];
    return rows[0] ? toRecord(rows[0], this.limitDefaults) : undefined;
  }

  async list(): Promise<TenantRecord[]> {
    const rows = (await this.db.query(`SELECT * FROM ${this.table} ORDER BY id`)) as TenantRow[];
    return rows.map((row) => toRecord(row, this.limitDefaults));
  }

  /** Every tenant's id and status, for background sweeps: two columns, no limits to parse per tenant. */
  async listStatuses(): Promise<Array<{ id: string; status: TenantStatus }>> {
    const rows = (await this.db.query(`SELECT id, status FROM ${this.table} ORDER BY id`)) as Array<{ id: string; status: string }>;
    return rows.map((row) => ({ id: row.id, status: row.status as TenantStatus }));
  }

  /** Every tenant's id, status, tier and region: where its jobs run (background sweeps of the job queues). */
  async listPlacements(): Promise<Array<{ id: string; status: TenantStatus; tier: TenantTier; region: string }>> {
    const rows = (await this.db.query(`SELECT id, status, tier, region FROM ${this.table} ORDER BY id`)) as Array<{ id: string; status: string; tier: string; region: string }>;
    return rows.map((row) => ({ id: row.id, status: row.status as TenantStatus, tier: row.tier as TenantTier, region: row.region }));
  }

  async insert(
    manager: EntityManager,
    tenant: { id: string; displayName: string; region: string; tier: TenantTier; status: TenantStatus; limitOverrides: TenantLimitOverrides },
  ): Promise<void> {
    const now = new Date();
    await manager.query(
      `INSERT INTO ${this.table} (id, display_name, region, tier, status, limit_overrides, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [tenant.id, tenant.displayName, tenant.region, tenant.tier, tenant.status, JSON.stringify(tenant.limitOverrides), now, now],
    );
  }

  /** Replaces the tenant's overrides (the caller merged and validated them, under a row lock). */
  async setLimitOverrides(tenantId: string, overrides: TenantLimitOverrides, manager: EntityManager = this.db.manager): Promise<void> {
    await manager.query(`UPDATE ${this.table} SET limit_overrides = ?, updated_at = ? WHERE id = ?`, [JSON.stringify(overrides), new Date(), tenantId]);
  }

  /** The row, locked until the transaction of `manager` ends (read-modify-write of overrides). */
  async findForUpdate(tenantId: string, manager: EntityManager): Promise<TenantRecord | undefined> {
    const rows = (await manager.query(`SELECT * FROM ${this.table} WHERE id = ? FOR UPDATE`, [tenantId])) as TenantRow[];
    return rows[0] ? toRecord(rows[0], this.limitDefaults) : undefined;
  }

  async setTier(tenantId: string, tier: TenantTier, manager: EntityManager = this.db.manager): Promise<void> {
    await manager.query(`UPDATE ${this.table} SET tier = ?, updated_at = ? WHERE id = ?`, [tier, new Date(), tenantId]);
  }

  async setStatus(tenantId: string, status: TenantStatus, manager: EntityManager = this.db.manager): Promise<void> {
    await manager.query(`UPDATE ${this.table} SET status = ?, updated_at = ? WHERE id = ?`, [status, new Date(), tenantId]);
  }

  async delete(tenantId: string, manager: EntityManager = this.db.manager): Promise<void> {
    await manager.query(`DELETE FROM ${this.table} WHERE id = ?`, [tenantId]);
  }
}
