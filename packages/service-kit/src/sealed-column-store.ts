import type { TenantScope } from '@tessera/tenancy';
import type { ObjectReencryptionInput, ObjectReencryptionProgress } from './object-reencryption';
import { ColumnSealer, sealedJsonColumnValue, type SealedText } from './sealed-columns';

/**
 * One sealed column of an owner's tenant table, with the column that keeps its key version:
 * NULL = no value, 0 = a legacy clear value awaiting the backfill (the migration that added the
 * version column marks them), N ≥ 1 = sealed under the tenant's data key vN. The version column is
 * indexed, so counting what still depends on a version and picking the next batch are index reads.
 */
export interface SealedColumnSpec {
  table: string;
  idColumn: string;
  column: string;
  versionColumn: string;
  /** `json`: a JSON column (the envelope stored as a JSON string); `text`: the envelope as it is. */
  storage: 'json' | 'text';
}

/** The legacy marker in a version column: clear, to be sealed by the backfill. */
export const legacyClearVersion = 0;

/** The text to write into a sealed column for an envelope. */
export function storedSealed(spec: Pick<SealedColumnSpec, 'storage'>, sealed: SealedText): string {
  return spec.storage === 'json' ? sealedJsonColumnValue(sealed) : sealed;
}

interface PendingRow {
  id: string | number;
  value: unknown;
  version: number | string;
}

/**
 * Re-seals up to `limit` values of one column sealed under a version below `belowVersion` with the
 * tenant's current version (each with a compare-and-set on its old version: a concurrent writer
 * wins), and seals up to what is left of `limit` legacy clear values. Returns how many it moved
 * and how many sealed values still depend on a version below `belowVersion` (legacy clear values
 * depend on no key, so they never block a retirement).
 */
export async function resealColumn(scope: TenantScope, spec: SealedColumnSpec, input: ObjectReencryptionInput): Promise<ObjectReencryptionProgress> {
  const sealer = ColumnSealer.forScope(scope);
  let reencrypted = 0;
  if (input.batchSize > 0) {
    const current = await scope.currentDataKey();
    if (current.keyVersion >= input.belowVersion) {
      const old = await pendingRows(scope, spec, `${spec.versionColumn} BETWEEN 1 AND ?`, [input.belowVersion - 1], input.batchSize);
      reencrypted += await resealRows(scope, sealer, spec, old);
    }
    reencrypted += await sealLegacyColumn(scope, spec, input.batchSize - reencrypted);
  }
  const [counted] = (await scope.db((manager) =>
    manager.query(`SELECT COUNT(*) AS n FROM ${spec.table} WHERE ${spec.versionColumn} BETWEEN 1 AND ?`, [input.belowVersion - 1]),
  )) as Array<{ n: number | string }>;
  return { reencrypted, remaining: Number(counted?.n ?? 0) };
}

/** Seals up to `limit` legacy clear values of one column under the current version; returns how many. */
export async function sealLegacyColumn(scope: TenantScope, spec: SealedColumnSpec, limit: number): Promise<number> {
  if (limit <= 0) return 0;
  const rows = await pendingRows(scope, spec, `${spec.versionColumn} = ?`, [legacyClearVersion], limit);
  return resealRows(scope, ColumnSealer.forScope(scope), spec, rows);
}

async function pendingRows(scope: TenantScope, spec: SealedColumnSpec, where: string, params: unknown[], limit: number): Promise<PendingRow[]> {
  return (await scope.db((manager) =>
    manager.query(`SELECT ${spec.idColumn} AS id, ${spec.column} AS value, ${spec.versionColumn} AS version FROM ${spec.table} WHERE ${where} ORDER BY ${spec.versionColumn}, ${spec.idColumn} LIMIT ?`, [...params, limit]),
  )) as PendingRow[];
}

async function resealRows(scope: TenantScope, sealer: ColumnSealer, spec: SealedColumnSpec, rows: readonly PendingRow[]): Promise<number> {
  let moved = 0;
  for (const row of rows) {
    const cell = { table: spec.table, column: spec.column, rowId: String(row.id) };
    const value = await sealer.openJson<unknown>(row.value, cell);
    // Sealed in the transaction that stores it: a run still writing when the current version is
    // rotated away and retired is counted by that retirement, or re-takes the key (data-key floor).
    await scope.transaction(async (manager) => {
      const { sealed, keyVersion } = await sealer.sealJson(value, cell, manager);
      await manager.query(`UPDATE ${spec.table} SET ${spec.column} = ?, ${spec.versionColumn} = ? WHERE ${spec.idColumn} = ? AND ${spec.versionColumn} = ?`, [
        storedSealed(spec, sealed),
        keyVersion,
        row.id,
        Number(row.version),
      ]);
    });
    moved++;
  }
  return moved;
}

/** Several columns of one owner in one pass: the batch is shared, the counts add up. */
export async function resealColumns(scope: TenantScope, specs: readonly SealedColumnSpec[], input: ObjectReencryptionInput): Promise<ObjectReencryptionProgress> {
  let reencrypted = 0;
  let remaining = 0;
  for (const spec of specs) {
    const progress = await resealColumn(scope, spec, { belowVersion: input.belowVersion, batchSize: Math.max(0, input.batchSize - reencrypted) });
    reencrypted += progress.reencrypted;
    remaining += progress.remaining;
  }
  return { reencrypted, remaining };
}
