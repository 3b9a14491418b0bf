import type { DataSource, EntityManager } from 'typeorm';
import { quoteIdentifier } from '../tenant-id';
import { defaultTenantLimits, type TenantLimits, type TenantRecord, type TenantStatus, type TenantTier } from '../tenant-record';

interface TenantRow {
  id: string;
  display_name: string;
  region: string;
  tier: string;
  status: string;
  max_upload_bytes: number | string;
  max_storage_bytes: number | string;
  requests_per_minute: number;
  max_concurrent_jobs?: number | null;
  max_queued_jobs?: number | null;
  created_at: Date;
  updated_at: Date;
}

function toRecord(row: TenantRow): TenantRecord {
  return {
    id: row.id,
    displayName: row.display_name,
    region: row.region,
    tier: row.tier as TenantTier,
    status: row.status as TenantStatus,
    limits: {
      maxUploadBytes: Number(row.max_upload_bytes),
      maxStorageBytes: Number(row.max_storage_bytes),
      requestsPerMinute: Number(row.requests_per_minute),
      maxConcurrentJobs: Number(row.max_concurrent_jobs ?? defaultTenantLimits.maxConcurrentJobs),
      maxQueuedJobs: Number(row.max_queued_jobs ?? defaultTenantLimits.maxQueuedJobs),
    },
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/**
 * Control-plane tenant rows. Every query takes the tenant id as a bound parameter; there is no
 * "all rows" accessor except `list`, which only the platform-admin path calls.
 */
export class TenantStore {
  private readonly table: string;

  constructor(private readonly db: DataSource, controlSchema: string) {
    this.table = `${quoteIdentifier(controlSchema)}.tenants`;
  }

  async find(tenantId: string, manager: EntityManager = this.db.manager): Promise<TenantRecord | undefined> {
    const rows = (await manager.query(`SELECT * FROM ${this.table} WHERE id = ?`, [tenantId])) as TenantRow[];
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async list(): Promise<TenantRecord[]> {
    const rows = (await this.db.query(`SELECT * FROM ${this.table} ORDER BY id`)) as TenantRow[];
    return rows.map(toRecord);
  }

  async insert(
    manager: EntityManager,
    tenant: { id: string; displayName: string; region: string; tier: TenantTier; status: TenantStatus; limits: TenantLimits },
  ): Promise<void> {
    const now = new Date();
    await manager.query(
      `INSERT INTO ${this.table} (id, display_name, region, tier, status, max_upload_bytes, max_storage_bytes, requests_per_minute, max_concurrent_jobs, max_queued_jobs, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        tenant.id,
        tenant.displayName,
        tenant.region,
        tenant.tier,
        tenant.status,
        tenant.limits.maxUploadBytes,
        tenant.limits.maxStorageBytes,
        tenant.limits.requestsPerMinute,
        tenant.limits.maxConcurrentJobs,
        tenant.limits.maxQueuedJobs,
        now,
        now,
      ],
    );
  }

  async setStatus(tenantId: string, status: TenantStatus, manager: EntityManager = this.db.manager): Promise<void> {
    await manager.query(`UPDATE ${this.table} SET status = ?, updated_at = ? WHERE id = ?`, [status, new Date(), tenantId]);
  }

  async delete(tenantId: string, manager: EntityManager = this.db.manager): Promise<void> {
    await manager.query(`DELETE FROM ${this.table} WHERE id = ?`, [tenantId]);
  }
}
