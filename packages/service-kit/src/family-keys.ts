import { decryptBuffer, encryptBuffer, generateDataKey } from '@tessera/crypto';
import { errors } from '@tessera/errors';
import type { DataKeyRef } from '@tessera/storage';
import type { TenantScope } from '@tessera/tenancy';
import type { EntityManager } from 'typeorm';

/**
 * The key version an object header names when the object is encrypted under the first version of
 * its dataset's (or model's) own key rather than directly under a tenant data key (those start at
 * 1). The owner's row says which family the object belongs to.
 */
export const familyKeyVersion = 0;

/**
 * Header key versions from here up name a later version of the family's own key (base + n for
 * version n ≥ 2). Tenant data-key versions count up from 1 by one per rotation and never get near
 * it; the base fits the owners' signed INT `key_version` columns.
 */
export const familyKeyVersionBase = 0x4000_0000;

/** Whether an object header's key version names a family key (any version) rather than a tenant data key. */
export function isFamilyHeaderVersion(headerVersion: number): boolean {
  return headerVersion === familyKeyVersion || headerVersion >= familyKeyVersionBase;
}

/** The header key version of objects under version `version` (≥ 1) of their family's key. */
export function familyHeaderVersion(version: number): number {
  if (!Number.isInteger(version) || version < 1 || version >= familyKeyVersionBase) throw new Error(`family key version out of range: ${version}`);
  return version === 1 ? familyKeyVersion : familyKeyVersionBase + version;
}

/** The family key version a family header names (see isFamilyHeaderVersion). */
export function familyVersionOf(headerVersion: number): number {
  return headerVersion === familyKeyVersion ? 1 : headerVersion - familyKeyVersionBase;
}

/** One owner's table of per-family keys: `<table> (<idColumn>, version, wrapped_key, tenant_key_version, created_at)`, one row per version. */
export type FamilyKeyTable = { table: 'dataset_keys'; idColumn: 'dataset_id' } | { table: 'model_keys'; idColumn: 'model_id' };

export interface FamilyKeyVersionRow {
  version: number;
  tenantKeyVersion: number;
  createdAt: Date;
}

/**
 * Per-dataset (per-model) data keys: a random key per family and version, stored only wrapped by
 * the tenant's data key (bound to tenant, table, family id and version). New objects of the
 * family are encrypted under its latest version; older versions stay until nothing is encrypted
 * under them (a rotation re-encrypts the family's objects, then destroys them). Deleting the
 * family's key rows shreds every object of the family: no key the platform keeps opens them any
 * more, wherever a copy of their bytes went.
 */
export class FamilyKeys {
  constructor(
    private readonly scope: TenantScope,
    private readonly keys: FamilyKeyTable,
  ) {}

  /** The family's key for a new object: its latest version (the first is created on first use). */
  async forWriting(familyId: string): Promise<DataKeyRef> {
    const existing = await this.latest(familyId);
    if (existing) return existing;
    // Two first writers at once: one row wins, both then use it.
    await this.insertVersion(familyId, 1, { ignoreDuplicate: true });
    const created = await this.latest(familyId);
    if (!created) throw new Error(`the key of ${this.keys.idColumn} ${familyId} vanished as it was created`);
    return created;
  }

  private async latest(familyId: string): Promise<DataKeyRef | undefined> {
    const version = await this.latestVersion(familyId);
    if (version === undefined) return undefined;
    const key = await this.unwrap(familyId, version);
    return key ? { dataKey: key, keyVersion: familyHeaderVersion(version) } : undefined;
  }

  /** Resolves an object header's key version: a family header is that version of the family's key, anything else a tenant data key. */
  resolver(familyId: string): (version: number) => Promise<Buffer> {
    return async (version) => {
      if (!isFamilyHeaderVersion(version)) return this.scope.resolveDataKey(version);
      const key = await this.unwrap(familyId, familyVersionOf(version));
      if (!key) throw new Error(`no key v${familyVersionOf(version)} for ${this.keys.idColumn} ${familyId}: its objects were shredded or re-encrypted`);
      return key;
    };
  }

  /** The family's key versions, oldest first (empty before its first object). */
  async versions(familyId: string): Promise<FamilyKeyVersionRow[]> {
    const rows = (await this.scope.db((manager) =>
      manager.query(`SELECT version, tenant_key_version, created_at FROM ${this.keys.table} WHERE ${this.keys.idColumn} = ? ORDER BY version`, [familyId]),
    )) as Array<{ version: number; tenant_key_version: number; created_at: Date }>;
    return rows.map((row) => ({ version: Number(row.version), tenantKeyVersion: Number(row.tenant_key_version), createdAt: new Date(row.created_at) }));
  }

  /**
   * Adds the next version of the family's key; new objects use it at once. Two rotations at once
   * make one version each (the second is just newer): the caller serialises rotations of a family.
   */
  async rotate(familyId: string): Promise<number> {
    const next = ((await this.latestVersion(familyId)) ?? 0) + 1;
    await this.insertVersion(familyId, next, { ignoreDuplicate: false });
    return next;
  }

  /**
   * Throws CONFLICT unless the version a write used still exists, read under a shared lock: a
   * destruction (which holds the rows exclusively while it looks at the family's objects) either
   * saw this object or finished before, and then the write must not count as stored.
   */
  async assertStillHeld(familyId: string, headerVersion: number): Promise<void> {
    if (!isFamilyHeaderVersion(headerVersion)) return;
    const rows = (await this.scope.transaction((manager) =>
      manager.query(`SELECT 1 AS held FROM ${this.keys.table} WHERE ${this.keys.idColumn} = ? AND version = ? LOCK IN SHARE MODE`, [familyId, familyVersionOf(headerVersion)]),
    )) as unknown[];
    if (rows.length === 0) throw errors.conflict('The key this object was written under was rotated and destroyed meanwhile: write it again.', { reason: 'FAMILY_KEY_ROTATED' });
  }

  /**
   * Destroys one version inside `manager`'s transaction, after locking its row: `dependents`
   * (run under the lock, so no write can slip in between) counts the objects still under it; when
   * it counts any, nothing is destroyed. Returns false when there is no such version.
   */
  async destroyVersion(manager: EntityManager, familyId: string, version: number, dependents: () => Promise<number>): Promise<{ destroyed: boolean } | { dependents: number }> {
    const rows = (await manager.query(`SELECT version FROM ${this.keys.table} WHERE ${this.keys.idColumn} = ? AND version = ? FOR UPDATE`, [familyId, version])) as unknown[];
    if (rows.length === 0) return { destroyed: false };
    const count = await dependents();
    if (count > 0) return { dependents: count };
    await manager.query(`DELETE FROM ${this.keys.table} WHERE ${this.keys.idColumn} = ? AND version = ?`, [familyId, version]);
    return { destroyed: true };
  }

  /** Re-wraps up to `limit` family key versions still wrapped by a tenant key version below `belowVersion` with the current one; returns how many. */
  async rewrap(belowVersion: number, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const current = await this.scope.currentDataKey();
    if (current.keyVersion < belowVersion) return 0;
    const rows = (await this.scope.db((manager) =>
      manager.query(`SELECT ${this.keys.idColumn} AS id, version, tenant_key_version FROM ${this.keys.table} WHERE tenant_key_version < ? ORDER BY ${this.keys.idColumn}, version LIMIT ?`, [belowVersion, limit]),
    )) as Array<{ id: string; version: number; tenant_key_version: number }>;
    for (const row of rows) {
      const version = Number(row.version);
      const key = await this.unwrap(row.id, version);
      if (!key) continue;
      // Wrapped in the transaction that stores it (the tenant's data-key floor: see TenantScope.sealingKey).
      await this.scope.transaction(async (manager) => {
        const tenantKey = await this.scope.sealingKey(manager);
        const wrapped = await encryptBuffer(key, { dataKey: tenantKey.dataKey, keyVersion: tenantKey.keyVersion, associatedData: this.context(row.id, version) });
        await manager.query(`UPDATE ${this.keys.table} SET wrapped_key = ?, tenant_key_version = ? WHERE ${this.keys.idColumn} = ? AND version = ? AND tenant_key_version = ?`, [
          wrapped.toString('base64'),
          tenantKey.keyVersion,
          row.id,
          version,
          row.tenant_key_version,
        ]);
      });
    }
    return rows.length;
  }

  /** Family key versions still wrapped by a tenant key version below `belowVersion`. */
  async pending(belowVersion: number): Promise<number> {
    const rows = (await this.scope.db((manager) => manager.query(`SELECT COUNT(*) AS n FROM ${this.keys.table} WHERE tenant_key_version < ?`, [belowVersion]))) as Array<{ n: number | string }>;
    return Number(rows[0]?.n ?? 0);
  }

  private async latestVersion(familyId: string): Promise<number | undefined> {
    const rows = (await this.scope.db((manager) => manager.query(`SELECT MAX(version) AS version FROM ${this.keys.table} WHERE ${this.keys.idColumn} = ?`, [familyId]))) as Array<{
      version: number | null;
    }>;
    const version = rows[0]?.version;
    return version === null || version === undefined ? undefined : Number(version);
  }

  private async insertVersion(familyId: string, version: number, options: { ignoreDuplicate: boolean }): Promise<void> {
    const key = generateDataKey();
    try {
      // Wrapped in the transaction that stores it (the tenant's data-key floor: see TenantScope.sealingKey).
      await this.scope.transaction(async (manager) => {
        const tenantKey = await this.scope.sealingKey(manager);
        const wrapped = await encryptBuffer(key, { dataKey: tenantKey.dataKey, keyVersion: tenantKey.keyVersion, associatedData: this.context(familyId, version) });
        await manager.query(`INSERT ${options.ignoreDuplicate ? 'IGNORE ' : ''}INTO ${this.keys.table} (${this.keys.idColumn}, version, wrapped_key, tenant_key_version, created_at) VALUES (?, ?, ?, ?, ?)`, [
          familyId,
          version,
          wrapped.toString('base64'),
          tenantKey.keyVersion,
          new Date(),
        ]);
      });
    } finally {
      key.fill(0);
    }
  }

  private async unwrap(familyId: string, version: number): Promise<Buffer | undefined> {
    const rows = (await this.scope.db((manager) => manager.query(`SELECT wrapped_key FROM ${this.keys.table} WHERE ${this.keys.idColumn} = ? AND version = ?`, [familyId, version]))) as Array<{
      wrapped_key: string;
    }>;
    if (!rows[0]) return undefined;
    return decryptBuffer(Buffer.from(rows[0].wrapped_key, 'base64'), { resolveKey: this.scope.resolveDataKey, associatedData: this.context(familyId, version) });
  }

  /** What a wrap is bound to: a wrap copied onto another tenant's, family's or version's row opens nothing. Version 1 keeps the binding it had before versions. */
  private context(familyId: string, version: number): string {
    const base = `${this.scope.tenant.id}/${this.keys.table}/${familyId}`;
    return version === 1 ? base : `${base}/v${version}`;
  }
}
