import type { EntityManager } from 'typeorm';
import { errors } from '@tessera/errors';
import { startStoredBytesClock } from '@tessera/metering';
import { quoteIdentifier, tenantSchemaName, type TenantLimits } from '@tessera/tenancy';
import { quotaLimitNames, type QuotaName } from './quota-names';

/** What one transaction does to one quota; the steps run in this order under the quota's row lock. */
export interface QuotaChange {
  quota: QuotaName;
  /** A reservation whose share leaves `reserved` (committed or released); gone already is fine. */
  settle?: string;
  /** Gives this much back (a delete). */
  refund?: number;
  /** Takes this much into `used`; refused unless it fits, except the part `settle` had reserved. */
  charge?: number;
  /** Promises this much to a writer still at work, until the expiry. */
  reserve?: { id: string; amount: number; ttlSeconds: number };
}

interface UsageRow {
  used: string | number;
}

interface ReservationRow {
  id: string;
  amount: string | number;
}

/**
 * The one place that changes a tenant's `quota_usage` and `quota_reservations` (tenant migration
 * 0008); `quota_usage.reserved` is written from the reservation rows for readers.
 *
 * The lock discipline: every change first locks all of the tenant's quota rows, in key order, in
 * one statement (SELECT … FOR UPDATE), and makes every read and write of usage and reservations
 * under that lock, in the caller's transaction. Writers in any number of processes therefore take
 * turns per tenant and what they jointly hold never passes a limit. Locking all five rows rather
 * than the one changed costs little (each change is a few statements) and means the range locks
 * InnoDB takes on `quota_reservations` are only ever held by the one transaction that holds the
 * quota rows, so two quota changes can never wait on each other in a circle. Callers take the quota
 * lock last in their transactions; after it, only the stored-bytes clock (`usage_samples`) is
 * locked, when stored bytes go from none to some — the sampler locks that clock and reads quotas
 * without locking them, so the two never wait on each other in a circle either. Tables are named
 * with the tenant's schema, so this works on any connection of the pool.
 */
export class QuotaLedger {
  private readonly usageTable: string;
  private readonly reservationsTable: string;

  constructor(
    private readonly tenantId: string,
    private readonly limits: TenantLimits,
  ) {
    const schema = quoteIdentifier(tenantSchemaName(tenantId));
    this.usageTable = `${schema}.quota_usage`;
    this.reservationsTable = `${schema}.quota_reservations`;
  }

  limitOf(quota: QuotaName): number {
    return this.limits[quotaLimitNames[quota]];
  }

  async apply(manager: EntityManager, changes: QuotaChange[]): Promise<void> {
    const merged = mergeByQuota(changes);
    if (merged.length === 0) return;
    const rows = (await manager.query(`SELECT quota, used FROM ${this.usageTable} ORDER BY quota FOR UPDATE`)) as Array<UsageRow & { quota: string }>;
    const usedOf = new Map(rows.map((row) => [row.quota, Number(row.used)]));
    for (const change of merged) {
      const used = usedOf.get(change.quota);
      if (used === undefined) throw new Error(`The tenant schema has no quota_usage row for ${change.quota} (tenant migration 0008 not applied).`);
      await this.applyOne(manager, change, used);
    }
  }

  /** Usage as of now, outside any lock: `reserved` counts unexpired reservations only. */
  async read(manager: EntityManager): Promise<Map<QuotaName, { used: number; reserved: number }>> {
    const rows = (await manager.query(
      `SELECT u.quota AS quota, u.used AS used,
              (SELECT COALESCE(SUM(r.amount), 0) FROM ${this.reservationsTable} r WHERE r.quota = u.quota AND r.expires_at > NOW(3)) AS reserved
         FROM ${this.usageTable} u`,
    )) as Array<UsageRow & { quota: QuotaName; reserved: string | number }>;
    return new Map(rows.map((row) => [row.quota, { used: Number(row.used), reserved: Number(row.reserved) }]));
  }

  /** The amount of one unexpired reservation; undefined when it is settled, released or expired. */
  async reservedAmount(manager: EntityManager, id: string, quota: QuotaName): Promise<number | undefined> {
    const [row] = (await manager.query(`SELECT amount FROM ${this.reservationsTable} WHERE id = ? AND quota = ? AND expires_at > NOW(3)`, [id, quota])) as Array<{ amount: string | number }>;
    return row ? Number(row.amount) : undefined;
  }

  /** One quota's change, under the lock `apply` holds; `used` as read under it. */
  private async applyOne(manager: EntityManager, change: QuotaChange, usedBefore: number): Promise<void> {
    const { quota } = change;
    let used = usedBefore;

    // A writer that died never commits nor releases: its reservation ends here, at the next change.
    await manager.query(`DELETE FROM ${this.reservationsTable} WHERE quota = ? AND expires_at <= NOW(3)`, [quota]);

    let held = 0;
    if (change.settle !== undefined) {
      const [own] = (await manager.query(`SELECT id, amount FROM ${this.reservationsTable} WHERE id = ? AND quota = ? FOR UPDATE`, [change.settle, quota])) as ReservationRow[];
      if (own) {
        await manager.query(`DELETE FROM ${this.reservationsTable} WHERE id = ? AND quota = ?`, [change.settle, quota]);
        held = Number(own.amount);
      }
    }
    // Counted from the rows every time (a locking read, so it is the latest), never kept as a running sum that could drift.
    const [live] = (await manager.query(`SELECT COALESCE(SUM(amount), 0) AS reserved FROM ${this.reservationsTable} WHERE quota = ? FOR UPDATE`, [quota])) as Array<{ reserved: string | number }>;
    let reserved = Number(live?.reserved ?? 0);

    if (change.refund) used = Math.max(0, used - change.refund);

    const limit = this.limitOf(quota);
    if (change.charge) {
      // What was reserved was promised: it is taken even if the limit was lowered meanwhile.
      if (change.charge > held && used + reserved + change.charge > limit) throw quotaExceeded(quota, limit, used, reserved, change.charge);
      used += change.charge;
    }

    if (change.reserve) {
      const { id, amount, ttlSeconds } = change.reserve;
      if (used + reserved + amount > limit) throw quotaExceeded(quota, limit, used, reserved, amount);
      await manager.query(
        `INSERT INTO ${this.reservationsTable} (id, quota, amount, created_at, expires_at) VALUES (?, ?, ?, NOW(3), NOW(3) + INTERVAL ? SECOND)`,
        [id, quota, amount, ttlSeconds],
      );
      reserved += amount;
    }

    // Stored bytes from none to some: byte-hours accrue from now (the sampler skips tenants holding nothing).
    if (quota === 'storageBytes' && usedBefore === 0 && used > 0) await startStoredBytesClock(manager, this.tenantId, new Date());
    await manager.query(`UPDATE ${this.usageTable} SET used = ?, reserved = ?, updated_at = NOW(3) WHERE quota = ?`, [used, reserved, quota]);
  }
}

const quotaUnits: Record<QuotaName, string> = {
  storageBytes: 'bytes of storage',
  datasets: 'datasets',
  datasetVersions: 'dataset versions',
  models: 'models',
  modelVersions: 'model versions',
};

function quotaExceeded(quota: QuotaName, limit: number, used: number, reserved: number, requested: number) {
  const inFlight = reserved > 0 ? ` (and ${reserved} reserved by writes in progress)` : '';
  return errors.quotaExceeded(
    `Your tenant's quota is ${limit} ${quotaUnits[quota]}; ${used} are in use${inFlight}, so ${requested} more do not fit. Delete something or ask for a higher ${quotaLimitNames[quota]}.`,
    { quota, limit, used, reserved, requested },
  );
}

/** One change per quota, in name order. */
function mergeByQuota(changes: QuotaChange[]): QuotaChange[] {
  const merged = new Map<QuotaName, QuotaChange>();
  for (const change of changes) {
    const into = merged.get(change.quota) ?? { quota: change.quota };
    if (change.settle !== undefined) {
      if (into.settle !== undefined && into.settle !== change.settle) throw new Error(`Two reservations of ${change.quota} settled in one change.`);
      into.settle = change.settle;
    }
    if (change.reserve) {
      if (into.reserve) throw new Error(`Two reservations of ${change.quota} in one change.`);
      into.reserve = change.reserve;
    }
    if (change.charge) into.charge = (into.charge ?? 0) + change.charge;
    if (change.refund) into.refund = (into.refund ?? 0) + change.refund;
    merged.set(change.quota, into);
  }
  return [...merged.values()].sort((a, b) => (a.quota < b.quota ? -1 : a.quota > b.quota ? 1 : 0));
}
