import { decryptBuffer, encryptBuffer, generateDataKey } from '@tessera/crypto';
import type { DataKeyRef } from '@tessera/storage';
import type { TenantScope } from '@tessera/tenancy';

/**
 * The key version an object header names when the object is encrypted under its dataset's (or
 * model's) own key rather than directly under a tenant data key (those start at 1). The owner's
 * row says which family the object belongs to.
 */
export const familyKeyVersion = 0;

/** One owner's table of per-family keys: `<table> (<idColumn> PK, wrapped_key, tenant_key_version, created_at)`. */
export type FamilyKeyTable = { table: 'dataset_keys'; idColumn: 'dataset_id' } | { table: 'model_keys'; idColumn: 'model_id' };

/**
 * Per-dataset (per-model) data keys: a random key per family, stored only wrapped by the tenant's
 * data key (bound to tenant, table and family id). Objects of the family are encrypted under it
 * (header key version 0). Deleting the family's key row shreds every object of the family: no key
 * the platform keeps opens them any more, wherever a copy of their bytes went.
 */
export class FamilyKeys {
  constructor(
    private readonly scope: TenantScope,
    private readonly keys: FamilyKeyTable,
  ) {}

  /** The family's key for a new object (created on first use). */
  async forWriting(familyId: string): Promise<DataKeyRef> {
    const existing = await this.unwrap(familyId);
    if (existing) return { dataKey: existing, keyVersion: familyKeyVersion };
    const key = generateDataKey();
    const tenantKey = await this.scope.currentDataKey();
    const wrapped = await encryptBuffer(key, { dataKey: tenantKey.dataKey, keyVersion: tenantKey.keyVersion, associatedData: this.context(familyId) });
    // Two first writers at once: one row wins, both then use it.
    await this.scope.db((manager) =>
      manager.query(`INSERT IGNORE INTO ${this.keys.table} (${this.keys.idColumn}, wrapped_key, tenant_key_version, created_at) VALUES (?, ?, ?, ?)`, [familyId, wrapped.toString('base64'), tenantKey.keyVersion, new Date()]),
    );
    key.fill(0);
    const stored = await this.unwrap(familyId);
    if (!stored) throw new Error(`the key of ${this.keys.idColumn} ${familyId} vanished as it was created`);
    return { dataKey: stored, keyVersion: familyKeyVersion };
  }

  /** Resolves an object header's key version: 0 is the family's key, anything else a tenant data key. */
  resolver(familyId: string): (version: number) => Promise<Buffer> {
    return async (version) => {
      if (version !== familyKeyVersion) return this.scope.resolveDataKey(version);
      const key = await this.unwrap(familyId);
      if (!key) throw new Error(`no key for ${this.keys.idColumn} ${familyId}: its objects were shredded`);
      return key;
    };
  }

  /** Re-wraps up to `limit` family keys still wrapped by a tenant key version below `belowVersion` with the current one; returns how many. */
  async rewrap(belowVersion: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const current = await this.scope.currentDataKey();
    if (current.keyVersion < belowVersion) return 0;
    const rows = (await this.scope.db((manager) =>
      manager.query(`SELECT ${this.keys.idColumn} AS id, tenant_key_version FROM ${this.keys.table} WHERE tenant_key_version < ? ORDER BY ${this.keys.idColumn} LIMIT ?`, [belowVersion, limit]),
    )) as Array<{ id: string; tenant_key_version: number }>;
    for (const row of rows) {
      const key = await this.unwrap(row.id);
      if (!key) continue;
      const wrapped = await encryptBuffer(key, { dataKey: current.dataKey, keyVersion: current.keyVersion, associatedData: this.context(row.id) });
      await this.scope.db((manager) =>
        manager.query(`UPDATE ${this.keys.table} SET wrapped_key = ?, tenant_key_version = ? WHERE ${this.keys.idColumn} = ? AND tenant_key_version = ?`, [wrapped.toString('base64'), current.keyVersion, row.id, row.tenant_key_version]),
      );
    }
    return rows.length;
  }

  /** Family keys still wrapped by a tenant key version below `belowVersion`. */
  async pending(belowVersion: number): Promise<number> {
    const rows = (await this.scope.db((manager) => manager.query(`SELECT COUNT(*) AS n FROM ${this.keys.table} WHERE tenant_key_version < ?`, [belowVersion]))) as Array<{ n: number | string }>;
    return Number(rows[0]?.n ?? 0);
  }

  private async unwrap(familyId: string): Promise<Buffer | undefined> {
    const rows = (await this.scope.db((manager) => manager.query(`SELECT wrapped_key FROM ${this.keys.table} WHERE ${this.keys.idColumn} = ?`, [familyId]))) as Array<{ wrapped_key: string }>;
    if (!rows[0]) return undefined;
    return decryptBuffer(Buffer.from(rows[0].wrapped_key, 'base64'), { resolveKey: this.scope.resolveDataKey, associatedData: this.context(familyId) });
  }

  private context(familyId: string): string {
    return `${this.scope.tenant.id}/${this.keys.table}/${familyId}`;
  }
}
