import type { DataSource, EntityManager } from 'typeorm';
import { generateDataKey } from '@tessera/crypto';
import { errors } from '@tessera/errors';
import { wrappedKeyVersion, type KeyProvider } from '@tessera/key-provider';
import { advisoryLockName, withAdvisoryLock } from '../advisory-lock';
import { inLockHolderTurn } from '../lock-holder-turns';
import { quoteIdentifier } from '../tenant-id';

interface KeyRow {
  version: number;
  wrapped_key: string;
  status: string;
}

/** A data-key lifecycle event, for the audit logs (the keyring itself does not depend on the audit client). */
export interface KeyEvent {
  /** `key.destroy` (erasure) goes to the platform security log only: the tenant's own log is erased with it. */
  action: 'key.create' | 'key.rotate' | 'key.rewrap' | 'key.destroy';
  /** The data key's version (for `key.destroy`: the newest one destroyed). */
  version: number;
  /** The key-encryption key version the data key is wrapped with (after a rewrap: the new one). */
  kekVersion: number | undefined;
  /** A rewrap's previous KEK version. */
  fromKekVersion?: number | undefined;
  /** Who asked (a rotation requested by an admin); absent: the platform's key management itself. */
  actor?: string | undefined;
  /** Why a rotation happened: asked for by an admin, or the tenant's `keyRotationDays` ran out. */
  reason?: 'requested' | 'scheduled' | undefined;
}

export interface CurrentDataKey {
  dataKey: Buffer;
  keyVersion: number;
}

/**
 * What a tenant's data key is wrapped for: the provider derives a separate key from it, so a wrap
 * moved to another tenant's row, or to another version of the same tenant, does not unwrap.
 */
export function dataKeyContext(tenantId: string, version: number): string {
  return `tenant:${tenantId}:dek:v${version}`;
}

/**
 * The tenant's own transit key at the provider. A data key is wrapped twice: first by this key
 * (inner), then by the platform KEK (outer, the `vault:v<N>:` the KEK rotation and rewrap work
 * on). Erasure deletes this key at the provider, so a backup of the `tenant_keys` rows still
 * opens its outer layer but never the inner one: the data keys, and every object copy encrypted
 * with them, are gone for good.
 */
export function tenantKeyName(tenantId: string): string {
  return `tessera-tenant-${tenantId}`;
}

/** A destroyed provider key, for the erasure receipt. */
export interface DestroyedKey {
  keyId: string;
  destroyedAt: Date;
  /** False when the key was already gone (a resumed erasure). */
  existed: boolean;
}

/** MySQL's ER_LOCK_WAIT_TIMEOUT. */
const lockWaitTimeout = 1205;

/** A raw data key is 32 bytes; an inner wrap is a `vault:v<N>:` string, always longer. */
const rawDataKeyLength = 32;

/** Error raised for a row still wrapped by the retired platform master key (before the key provider). */
export class LegacyWrappedKeyError extends Error {
  constructor(tenantId: string, version: number) {
    super(`tenant ${tenantId} data key v${version} is still wrapped by the retired master key: run \`tessera keys import-master-key\``);
    this.name = 'LegacyWrappedKeyError';
  }
}

/**
 * Per-tenant data keys (envelope encryption). Keys are stored wrapped by the key provider's
 * key-encryption key, which never leaves the provider; the unwrapped form lives only in this
 * process's memory, briefly (a key-encryption key retirement reaches every replica within the cache TTL).
 */
export class TenantKeyring {
  private readonly table: string;
  private readonly controlSchema: string;
  /** Unwrapped keys by `tenant#version`, with the wrapped form they were opened from. */
  private readonly cache = new Map<string, { key: Buffer; wrapped: string; until: number }>();
  /** Set by the service runtime: records key events in the tenant's log and the platform security log. */
  onKeyEvent: ((tenantId: string, event: KeyEvent) => Promise<void>) | undefined;

  constructor(
    private readonly db: DataSource,
    controlSchema: string,
    /** Absent in services that never unwrap a tenant key (the key provider would refuse them anyway). */
    private readonly provider: KeyProvider | undefined,
    private readonly cacheTtlMs = 60_000,
  ) {
    this.table = `${quoteIdentifier(controlSchema)}.tenant_keys`;
    this.controlSchema = controlSchema;
  }

  /** Creates version 1 if the tenant has no key yet; returns the current version. */
  async ensureKey(tenantId: string, manager: EntityManager = this.db.manager): Promise<number> {
    const rows = (await manager.query(`SELECT MAX(version) AS v FROM ${this.table} WHERE tenant_id = ?`, [tenantId])) as Array<{ v: number | null }>;
    if (rows[0]?.v) return Number(rows[0].v);
    await this.insertKey(tenantId, 1, manager);
    return 1;
  }

  /** The key-encryption key version a data key is wrapped with (undefined: none, or the retired master key's). */
  async kekVersionOf(tenantId: string, version: number): Promise<number | undefined> {
    const rows = (await this.db.query(`SELECT kek_version FROM ${this.table} WHERE tenant_id = ? AND version = ?`, [tenantId, version])) as Array<{ kek_version: number | null }>;
    return rows[0]?.kek_version === null || rows[0]?.kek_version === undefined ? undefined : Number(rows[0].kek_version);
  }

  /**
   * After erasure: the tenant's wrapped keys went with its row, so the data its objects held is
   * unreadable even where a copy of them survives. Recorded without failing the erasure, which
   * has already happened.
   */
  async recordDestroyed(tenantId: string, versions: readonly number[]): Promise<void> {
    if (versions.length === 0) return;
    await this.onKeyEvent?.(tenantId, { action: 'key.destroy', version: Math.max(...versions), kekVersion: undefined }).catch((error: unknown) => {
      process.emitWarning(`could not record the erasure of tenant ${tenantId}'s data keys: ${error instanceof Error ? error.message : String(error)}`, 'TesseraAuditWarning');
    });
  }

  /**
   * A new data key becomes current; older versions stay to decrypt what they wrote. With
   * `maxVersions`, a tenant already holding that many versions is refused (QUOTA_EXCEEDED) and
   * nothing changes: counted under the rotation's lock, so parallel requests cannot pass it.
   */
  async rotate(tenantId: string, cause: Pick<KeyEvent, 'actor' | 'reason'> = {}, maxVersions?: number): Promise<number> {
    // One rotation of a tenant at a time, whoever asks (an admin, the schedule, another replica):
    // two transactions taking the same gap lock with FOR UPDATE and inserting into it deadlock.
    // The transaction runs on the lock's own connection: taking a second one of the pool while
    // holding the lock's would let as many rotations at once as the pool has connections (of
    // different tenants, each asked by its own admin) hold them all and wait forever for another.
    const lock = advisoryLockName('data_key', this.controlSchema, tenantId);
    const { version, kekVersion } = await withAdvisoryLock(this.db, lock, { waitSeconds: 10, busyMessage: "Another rotation of this tenant's data key is taking long; try again.", tenantId }, (locked) =>
      locked.transaction(async (manager) => {
        const rows = (await manager.query(`SELECT MAX(version) AS v, COUNT(*) AS n FROM ${this.table} WHERE tenant_id = ? FOR UPDATE`, [tenantId])) as Array<{ v: number | null; n: number | string }>;
        const held = Number(rows[0]?.n ?? 0);
        if (maxVersions !== undefined && held >= maxVersions) {
          throw errors.quotaExceeded(
            `Tenant ${tenantId} holds ${held} data-key versions, the most it may hold; re-encrypt its objects (reencryptTenantObjects) and retire older versions (retireTenantKeyVersion) before rotating again.`,
            { quota: 'dataKeyVersions', limit: maxVersions, used: held },
          );
        }
        const next = Number(rows[0]?.v ?? 0) + 1;
        await manager.query(`UPDATE ${this.table} SET status = 'RETIRED' WHERE tenant_id = ? AND status = 'ACTIVE'`, [tenantId]);
        const kek = await this.insertKey(tenantId, next, manager);
        return { version: next, kekVersion: kek };
      }),
    );
    await this.onKeyEvent?.(tenantId, { action: 'key.rotate', version, kekVersion, ...cause });
    return version;
  }

  /**
   * The version new objects are written with is read from the control plane on every write (one
   * primary-key lookup; only the unwrapped keys are cached), so a rotation takes effect at once
   * in every replica, not after the cache TTL. The cached key is used only if it was opened from
   * the wrapped key that row holds now: a tenant erased and provisioned again under the same id
   * has a new version 1, and a process that cached the erased tenant's must not write with it.
   */
  async currentKey(tenantId: string): Promise<CurrentDataKey> {
    const rows = (await this.db.query(`SELECT version, wrapped_key, status FROM ${this.table} WHERE tenant_id = ? AND status = 'ACTIVE' ORDER BY version DESC LIMIT 1`, [tenantId])) as KeyRow[];
    const row = rows[0];
    if (!row) throw new Error(`tenant ${tenantId} has no active data key`);
    const version = Number(row.version);
    const hit = this.cache.get(`${tenantId}#${version}`);
    if (hit && hit.until > Date.now() && hit.wrapped === row.wrapped_key) return { dataKey: hit.key, keyVersion: version };
    return { dataKey: await this.open(tenantId, version, row.wrapped_key), keyVersion: version };
  }

  /**
   * Any version's key, for reading. The row is read on every call (one primary-key lookup, as for
   * writes) and a cached key is used only if it was opened from the wrapped key the row holds
   * now: once a retirement has deleted a version's row, no process opens anything with it any
   * more, whatever it still holds in its cache (which only saves the key provider's unwrap).
   */
  async keyFor(tenantId: string, version: number): Promise<Buffer> {
    const rows = (await this.db.query(`SELECT version, wrapped_key, status FROM ${this.table} WHERE tenant_id = ? AND version = ?`, [tenantId, version])) as KeyRow[];
    const row = rows[0];
    if (!row) {
      this.cache.delete(`${tenantId}#${version}`);
      throw new Error(`tenant ${tenantId} has no data key version ${version}`);
    }
    const hit = this.cache.get(`${tenantId}#${version}`);
    if (hit && hit.until > Date.now() && hit.wrapped === row.wrapped_key) return hit.key;
    return this.open(tenantId, version, row.wrapped_key);
  }

  private async open(tenantId: string, version: number, wrapped: string): Promise<Buffer> {
    if (wrappedKeyVersion(wrapped) === undefined) throw new LegacyWrappedKeyError(tenantId, version);
    const key = await this.openWrapped(tenantId, version, wrapped);
    this.cache.set(`${tenantId}#${version}`, { key, wrapped, until: Date.now() + this.cacheTtlMs });
    return key;
  }

  /**
   * Creates the tenant's own provider key (idempotent). Called by the tenants service, which alone
   * may administer provider keys, at provisioning and when an existing tenant adopts one.
   */
  async ensureTenantKey(tenantId: string): Promise<void> {
    await this.requireProvider().createKey(tenantKeyName(tenantId));
  }

  /**
   * Migration for tenants provisioned before per-tenant keys: creates the tenant key and rewraps
   * each single-layer data key into the two layers (same data key, so every object stays
   * readable). Idempotent: rows already two-layer are skipped. Returns how many rows changed.
   */
  async adoptTenantKey(tenantId: string): Promise<number> {
    await this.ensureTenantKey(tenantId);
    const provider = this.requireProvider();
    const rows = (await this.db.query(`SELECT version, wrapped_key, status FROM ${this.table} WHERE tenant_id = ? ORDER BY version`, [tenantId])) as KeyRow[];
    let changed = 0;
    for (const row of rows) {
      if (wrappedKeyVersion(row.wrapped_key) === undefined) throw new LegacyWrappedKeyError(tenantId, Number(row.version));
      const context = dataKeyContext(tenantId, Number(row.version));
      const opened = await provider.unwrap(row.wrapped_key, context);
      try {
        if (opened.length !== rawDataKeyLength) continue;
        const wrapped = await this.wrapTwice(tenantId, opened, context);
        await this.db.query(`UPDATE ${this.table} SET wrapped_key = ?, kek_version = ? WHERE tenant_id = ? AND version = ? AND wrapped_key = ?`, [wrapped, wrappedKeyVersion(wrapped) ?? null, tenantId, row.version, row.wrapped_key]);
        changed += 1;
      } finally {
        opened.fill(0);
      }
    }
    this.forget(tenantId);
    return changed;
  }

  /** True when every data key of the tenant is wrapped under its own provider key (so erasure can shred it). */
  async usesTenantKey(tenantId: string): Promise<boolean> {
    const provider = this.requireProvider();
    if (!(await provider.keyExists(tenantKeyName(tenantId)))) return false;
    const rows = (await this.db.query(`SELECT version, wrapped_key FROM ${this.table} WHERE tenant_id = ?`, [tenantId])) as KeyRow[];
    for (const row of rows) {
      const opened = await provider.unwrap(row.wrapped_key, dataKeyContext(tenantId, Number(row.version)));
      const single = opened.length === rawDataKeyLength;
      opened.fill(0);
      if (single) return false;
    }
    return true;
  }

  /**
   * The versions whose data key is not wrapped under the tenant's own provider key: rows of a
   * tenant provisioned before per-tenant keys and not adopted yet (one layer, the platform KEK
   * alone), and rows still wrapped by the retired master key. Destroying the tenant key does not
   * shred these: a copy of such a row opens for as long as the KEK version that wrapped it lives.
   * Read from the rows themselves (a tenant whose key was already destroyed by an erasure has
   * two-layer rows and answers none, so nobody re-creates its key).
   */
  async singleLayerVersions(tenantId: string): Promise<number[]> {
    const provider = this.requireProvider();
    const rows = (await this.db.query(`SELECT version, wrapped_key FROM ${this.table} WHERE tenant_id = ? ORDER BY version`, [tenantId])) as KeyRow[];
    const single: number[] = [];
    for (const row of rows) {
      const version = Number(row.version);
      if (wrappedKeyVersion(row.wrapped_key) === undefined) {
        single.push(version);
        continue;
      }
      const opened = await provider.unwrap(row.wrapped_key, dataKeyContext(tenantId, version));
      if (opened.length === rawDataKeyLength) single.push(version);
      opened.fill(0);
    }
    return single;
  }

  /** Erasure: deletes the tenant's provider key for good. Idempotent. */
  async destroyTenantKey(tenantId: string): Promise<DestroyedKey> {
    const keyId = tenantKeyName(tenantId);
    const existed = await this.requireProvider().deleteKey(keyId);
    this.forget(tenantId);
    return { keyId, destroyedAt: new Date(), existed };
  }

  /**
   * Destroys one older version's wrapped key (after every object it encrypted was re-encrypted):
   * what it encrypted can no longer be decrypted by anyone, copies included. The caller checks the
   * dependents first, and passes the count to repeat under the row's lock; the current version is
   * never destroyed. Answers `destroyed: false` when there is no such retired version.
   */
  async destroyVersion(tenantId: string, version: number, cause: Pick<KeyEvent, 'actor' | 'reason'> = {}, dependents?: () => Promise<number>): Promise<{ destroyed: boolean } | { dependents: number }> {
    // The row is held exclusively while `dependents` looks (see assertStillHeld): a write keyed
    // under this version either is seen by that look or finds the version gone and is not kept.
    // `dependents` takes connections of this pool (the tenant's scope) while the transaction holds
    // one, so the transaction takes one of the pool's lock-holder turns: as many destructions at
    // once as the pool has connections would otherwise each hold one and wait forever for another.
    // One of its tenant's share of them: the count scans the tenant's whole bucket, and before,
    // a tenant's admin retiring a few versions at once held every turn of the tenants service
    // while they counted, and other tenants' rotations and runs waited (data-key-retirement-turns.test.ts).
    const outcome = await inLockHolderTurn(this.db, () => this.db.transaction(async (manager): Promise<{ destroyed: boolean } | { dependents: number }> => {
      const rows = (await manager.query(`SELECT version FROM ${this.table} WHERE tenant_id = ? AND version = ? AND status = 'RETIRED' FOR UPDATE`, [tenantId, version])) as unknown[];
      if (rows.length === 0) return { destroyed: false };
      const count = dependents ? await dependents() : 0;
      if (count > 0) return { dependents: count };
      await manager.query(`DELETE FROM ${this.table} WHERE tenant_id = ? AND version = ?`, [tenantId, version]);
      return { destroyed: true };
    }), tenantId);
    this.cache.delete(`${tenantId}#${version}`);
    if ('destroyed' in outcome && outcome.destroyed) await this.onKeyEvent?.(tenantId, { action: 'key.destroy', version, kekVersion: undefined, ...cause });
    return outcome;
  }

  /**
   * Throws CONFLICT (`reason: DATA_KEY_DESTROYED`) unless data-key version `version` still exists,
   * read under a shared lock. A writer that took the current key and stored something under it
   * calls this afterwards: a destruction, which holds the row exclusively while it counts what
   * depends on the version, either saw what was stored or finished before, and then the write
   * must not count as done (nothing would ever open it).
   */
  async assertStillHeld(tenantId: string, version: number): Promise<void> {
    let rows: unknown[];
    try {
      rows = (await this.db.transaction((manager) => manager.query(`SELECT 1 AS held FROM ${this.table} WHERE tenant_id = ? AND version = ? LOCK IN SHARE MODE`, [tenantId, version]))) as unknown[];
    } catch (error) {
      // A destruction looking at the tenant's objects for longer than the lock wait: not known to be kept.
      if ((error as { errno?: number } | null)?.errno === lockWaitTimeout) throw errors.conflict(`Data-key version ${version} of tenant ${tenantId} is being destroyed: do it again.`, { reason: 'DATA_KEY_DESTROYED' });
      throw error;
    }
    if (rows.length === 0) {
      this.cache.delete(`${tenantId}#${version}`);
      throw errors.conflict(`Data-key version ${version} of tenant ${tenantId} was destroyed while this was written under it: do it again.`, { reason: 'DATA_KEY_DESTROYED' });
    }
  }

  /** Drops this process's cached keys of a tenant (erasure: a re-provisioned id must never reuse them). */
  forget(tenantId: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(`${tenantId}#`)) this.cache.delete(key);
  }

  async versions(tenantId: string): Promise<Array<{ version: number; status: string; kekVersion: number | null; createdAt: Date }>> {
    const rows = (await this.db.query(`SELECT version, status, kek_version, created_at FROM ${this.table} WHERE tenant_id = ? ORDER BY version`, [tenantId])) as Array<KeyRow & { kek_version: number | null; created_at: Date }>;
    return rows.map((row) => ({ version: Number(row.version), status: row.status, kekVersion: row.kek_version === null ? null : Number(row.kek_version), createdAt: new Date(row.created_at) }));
  }

  /** Wraps a fresh data key and stores it; returns the KEK version it is wrapped with. */
  private async insertKey(tenantId: string, version: number, manager: EntityManager): Promise<number | undefined> {
    const dataKey = generateDataKey();
    try {
      const context = dataKeyContext(tenantId, version);
      // A tenant without its own key yet (provisioned before per-tenant keys, not yet adopted) keeps one layer.
      const wrapped = (await this.requireProvider().keyExists(tenantKeyName(tenantId)))
        ? await this.wrapTwice(tenantId, dataKey, context)
        : await this.requireProvider().wrap(dataKey, context);
      const kekVersion = wrappedKeyVersion(wrapped);
      await manager.query(`INSERT INTO ${this.table} (tenant_id, version, wrapped_key, kek_version, status, created_at) VALUES (?, ?, ?, ?, 'ACTIVE', ?)`, [tenantId, version, wrapped, kekVersion ?? null, new Date()]);
      return kekVersion;
    } finally {
      dataKey.fill(0);
    }
  }

  private async wrapTwice(tenantId: string, dataKey: Buffer, context: string): Promise<string> {
    const provider = this.requireProvider();
    const inner = await provider.withKey(tenantKeyName(tenantId)).wrap(dataKey, context);
    return provider.wrap(Buffer.from(inner, 'utf8'), context);
  }

  private async openWrapped(tenantId: string, version: number, wrapped: string): Promise<Buffer> {
    const provider = this.requireProvider();
    const context = dataKeyContext(tenantId, version);
    const opened = await provider.unwrap(wrapped, context);
    if (opened.length === rawDataKeyLength) return opened;
    return provider.withKey(tenantKeyName(tenantId)).unwrap(opened.toString('utf8'), context);
  }

  private requireProvider(): KeyProvider {
    if (!this.provider) throw new Error('this service has no key provider: it cannot wrap or unwrap tenant data keys');
    return this.provider;
  }
}

