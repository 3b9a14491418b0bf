import type { DataSource, EntityManager } from 'typeorm';
import { generateDataKey, unwrapDataKey, wrapDataKey } from '@tessera/crypto';
import { quoteIdentifier } from '../tenant-id';

interface KeyRow {
  version: number;
  wrapped_key: string;
  status: string;
}

/** A key lifecycle event, for the audit logs (the keyring itself does not depend on the audit client). */
export interface KeyEvent {
  action: 'key.rotate';
  version: number;
}

export interface CurrentDataKey {
  dataKey: Buffer;
  keyVersion: number;
}

/**
 * Per-tenant data keys (envelope encryption). Keys are stored wrapped by the master key; the
 * unwrapped form lives only in this process's memory, briefly, so a rotation reaches every
 * replica within the cache TTL.
 */
export class TenantKeyring {
  private readonly table: string;
  private readonly cache = new Map<string, { key: Buffer; until: number }>();
  private readonly current = new Map<string, { version: number; until: number }>();
  /** Set by the service runtime: records key events in the tenant's log and the platform security log. */
  onKeyEvent: ((tenantId: string, event: KeyEvent) => Promise<void>) | undefined;

  constructor(
    private readonly db: DataSource,
    controlSchema: string,
    /** Absent in services that never unwrap a tenant key (they hold no master key at all). */
    private readonly masterKey: Buffer | undefined,
    private readonly cacheTtlMs = 60_000,
  ) {
    this.table = `${quoteIdentifier(controlSchema)}.tenant_keys`;
  }

  /** Creates version 1 if the tenant has no key yet; returns the current version. */
  async ensureKey(tenantId: string, manager: EntityManager = this.db.manager): Promise<number> {
    const rows = (await manager.query(`SELECT MAX(version) AS v FROM ${this.table} WHERE tenant_id = ?`, [tenantId])) as Array<{ v: number | null }>;
    if (rows[0]?.v) return Number(rows[0].v);
    await this.insertKey(tenantId, 1, manager);
    return 1;
  }

  /** A new data key becomes current; older versions stay to decrypt what they wrote. */
  async rotate(tenantId: string): Promise<number> {
    const version = await this.db.transaction(async (manager) => {
      const rows = (await manager.query(`SELECT MAX(version) AS v FROM ${this.table} WHERE tenant_id = ? FOR UPDATE`, [tenantId])) as Array<{ v: number | null }>;
      const next = Number(rows[0]?.v ?? 0) + 1;
      await manager.query(`UPDATE ${this.table} SET status = 'RETIRED' WHERE tenant_id = ? AND status = 'ACTIVE'`, [tenantId]);
      await this.insertKey(tenantId, next, manager);
      this.current.delete(tenantId);
      return next;
    });
    await this.onKeyEvent?.(tenantId, { action: 'key.rotate', version });
    return version;
  }

  async currentKey(tenantId: string): Promise<CurrentDataKey> {
    const cached = this.current.get(tenantId);
    let version = cached && cached.until > Date.now() ? cached.version : undefined;
    if (version === undefined) {
      const rows = (await this.db.query(`SELECT MAX(version) AS v FROM ${this.table} WHERE tenant_id = ? AND status = 'ACTIVE'`, [tenantId])) as Array<{ v: number | null }>;
      if (!rows[0]?.v) throw new Error(`tenant ${tenantId} has no active data key`);
      version = Number(rows[0].v);
      this.current.set(tenantId, { version, until: Date.now() + this.cacheTtlMs });
    }
    return { dataKey: await this.keyFor(tenantId, version), keyVersion: version };
  }

  async keyFor(tenantId: string, version: number): Promise<Buffer> {
    const cacheKey = `${tenantId}#${version}`;
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > Date.now()) return hit.key;
    const rows = (await this.db.query(`SELECT version, wrapped_key, status FROM ${this.table} WHERE tenant_id = ? AND version = ?`, [tenantId, version])) as KeyRow[];
    const row = rows[0];
    if (!row) throw new Error(`tenant ${tenantId} has no data key version ${version}`);
    const key = unwrapDataKey(this.requireMasterKey(), row.wrapped_key, { tenantId, keyVersion: version });
    this.cache.set(cacheKey, { key, until: Date.now() + this.cacheTtlMs });
    return key;
  }

  /** Drops this process's cached keys of a tenant (erasure: a re-provisioned id must never reuse them). */
  forget(tenantId: string): void {
    this.current.delete(tenantId);
    for (const key of this.cache.keys()) if (key.startsWith(`${tenantId}#`)) this.cache.delete(key);
  }

  async versions(tenantId: string): Promise<Array<{ version: number; status: string }>> {
    const rows = (await this.db.query(`SELECT version, status FROM ${this.table} WHERE tenant_id = ? ORDER BY version`, [tenantId])) as KeyRow[];
    return rows.map((row) => ({ version: Number(row.version), status: row.status }));
  }

  private async insertKey(tenantId: string, version: number, manager: EntityManager): Promise<void> {
    const wrapped = wrapDataKey(this.requireMasterKey(), generateDataKey(), { tenantId, keyVersion: version });
    await manager.query(`INSERT INTO ${this.table} (tenant_id, version, wrapped_key, status, created_at) VALUES (?, ?, ?, 'ACTIVE', ?)`, [tenantId, version, wrapped, new Date()]);
  }

  private requireMasterKey(): Buffer {
    if (!this.masterKey) throw new Error('this service holds no master key: it cannot wrap or unwrap tenant data keys');
    return this.masterKey;
  }
}
