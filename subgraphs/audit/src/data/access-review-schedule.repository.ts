import type { DataSource, EntityManager } from 'typeorm';

/** A tenant's own choice of review interval (`access_review_schedules`, control plane). */
export interface AccessReviewScheduleRow {
  tenantId: string;
  /** Days per period; null: the deployment's interval. */
  intervalDays: number | null;
  /** When this choice began: periods are owed from then on. */
  effectiveFrom: Date;
  updatedBy: string;
  updatedAt: Date;
}

interface Row {
  tenant_id: string;
  interval_days: number | null;
  effective_from: Date | string;
  updated_by: string;
  updated_at: Date | string;
}

const toRow = (row: Row): AccessReviewScheduleRow => ({
  tenantId: row.tenant_id,
  intervalDays: row.interval_days === null ? null : Number(row.interval_days),
  effectiveFrom: new Date(row.effective_from),
  updatedBy: row.updated_by,
  updatedAt: new Date(row.updated_at),
});

/**
 * The control-plane table of tenants' review intervals, schema-qualified: the audit service's pool
 * also serves tenant-schema transactions, whose default schema is the tenant's.
 */
export class AccessReviewSchedules {
  private readonly table: string;

  constructor(
    private readonly db: DataSource,
    controlSchema: string,
  ) {
    if (!/^[A-Za-z0-9_]+$/.test(controlSchema)) throw new Error('invalid control schema name');
    this.table = `\`${controlSchema}\`.access_review_schedules`;
  }

  /** Every tenant's choice, for the scheduler's look at all tenants (one statement). */
  async all(): Promise<Map<string, AccessReviewScheduleRow>> {
    const rows = (await this.db.query(`SELECT tenant_id, interval_days, effective_from, updated_by, updated_at FROM ${this.table}`)) as Row[];
    return new Map(rows.map((row) => [row.tenant_id, toRow(row)]));
  }

  async of(tenantId: string, manager: Pick<EntityManager, 'query'> = this.db): Promise<AccessReviewScheduleRow | undefined> {
    const rows = (await manager.query(`SELECT tenant_id, interval_days, effective_from, updated_by, updated_at FROM ${this.table} WHERE tenant_id = ?`, [tenantId])) as Row[];
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** Locks the tenant's row (if any) until the transaction ends: two admins changing it take turns. */
  async lock(manager: EntityManager, tenantId: string): Promise<AccessReviewScheduleRow | undefined> {
    const rows = (await manager.query(`SELECT tenant_id, interval_days, effective_from, updated_by, updated_at FROM ${this.table} WHERE tenant_id = ? FOR UPDATE`, [tenantId])) as Row[];
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async save(manager: EntityManager, row: AccessReviewScheduleRow): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.table} (tenant_id, interval_days, effective_from, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE interval_days = VALUES(interval_days), effective_from = VALUES(effective_from), updated_by = VALUES(updated_by), updated_at = VALUES(updated_at)`,
      [row.tenantId, row.intervalDays, row.effectiveFrom, row.updatedBy, row.updatedAt],
    );
  }
}
