import type { DataSource } from 'typeorm';
import { recordSecurityEvent } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import { errors } from '@tessera/errors';
import type { KeyEncryptionKeyStatus, KeyProvider } from '@tessera/key-provider';
import { quoteIdentifier, withAdvisoryLock } from '@tessera/tenancy';
import type { DataKeyRewrapper, RewrapRun } from './data-key-rewrapper';
import { assertPlatformAdmin } from './tenant-admin.service';

export interface KeyEncryptionKeyDeps {
  db: DataSource;
  controlSchema: string;
  /** Undefined when this process was started without a key provider (it then answers SERVICE_UNAVAILABLE). */
  provider: KeyProvider | undefined;
  rewrapper: DataKeyRewrapper | undefined;
}

/** What `keyEncryptionKeyStatus` answers. */
export interface KeyEncryptionKeyReport {
  provider: string;
  keyName: string;
  latestVersion: number;
  minDecryptionVersion: number;
  minAvailableVersion: number;
  versions: Array<{ version: number; createdAt: Date; wrappedDataKeys: number; retired: boolean }>;
  /** Rows still wrapped by the retired master key (`tessera keys import-master-key` moves them). */
  legacyWrappedDataKeys: number;
  rewrap: (RewrapRun & { remaining: number }) | null;
}

type KekAction = 'kek.rotate' | 'kek.rewrap' | 'kek.retire' | 'kek.destroy';

/**
 * The platform's key-encryption key, for platform admins: its versions and how many tenant data
 * keys each one wraps, rotation (which starts the background rewrap), retirement of old versions
 * (refused with KEY_VERSION_IN_USE while any data key still depends on them) and their
 * destruction. Each change is recorded in the platform security log; each data key the rewrap
 * moves is also recorded in its tenant's log (by the rewrapper).
 */
export class KeyEncryptionKeyService {
  private readonly keysTable: string;

  constructor(
    private readonly principal: Principal,
    private readonly deps: KeyEncryptionKeyDeps,
  ) {
    this.keysTable = `${quoteIdentifier(deps.controlSchema)}.tenant_keys`;
  }

  async status(): Promise<KeyEncryptionKeyReport> {
    assertPlatformAdmin(this.principal);
    return this.report(await this.provider().status());
  }

  /** New wraps use the new version at once; the rewrap moves the existing ones in the background. */
  async rotate(): Promise<KeyEncryptionKeyReport> {
    assertPlatformAdmin(this.principal);
    return this.exclusive(async () => {
      const before = await this.provider().status();
      const after = await this.provider().rotate();
      await this.record('kek.rotate', after.latestVersion, { fromVersion: before.latestVersion, toVersion: after.latestVersion });
      const run = await this.rewrapper().start(this.principal.subject);
      await this.record('kek.rewrap', run.targetVersion, { run: run.id });
      return this.report(after);
    });
  }

  /** Starts (or resumes) moving every data key to the latest version: after a failed run, or a restart. */
  async rewrap(): Promise<KeyEncryptionKeyReport> {
    assertPlatformAdmin(this.principal);
    // Under the same lock as a rotation: two starts at once each found no running run and each began one.
    return this.exclusive(async () => {
      const run = await this.rewrapper().start(this.principal.subject);
      await this.record('kek.rewrap', run.targetVersion, { run: run.id });
      return this.report(await this.provider().status());
    });
  }

  /** `version` and every older one stop unwrapping (min_decryption_version = version + 1). */
  async retire(version: number): Promise<KeyEncryptionKeyReport> {
    assertPlatformAdmin(this.principal);
    return this.exclusive(async () => {
      const status = await this.provider().status();
      assertVersion(version, status);
      if (version >= status.latestVersion) throw errors.badInput('The latest key-encryption key version wraps new keys: rotate first, then retire the older ones.', { field: 'version' });
      if (version < status.minDecryptionVersion) return this.report(status);
      await this.assertNoDependents(version, 'retired');
      const after = await this.provider().setMinDecryptionVersion(version + 1);
      await this.record('kek.retire', version, { minDecryptionVersion: after.minDecryptionVersion });
      return this.report(after);
    });
  }

  /** Deletes `version` and every older one at the provider, for good; only retired versions. */
  async destroy(version: number): Promise<KeyEncryptionKeyReport> {
    assertPlatformAdmin(this.principal);
    return this.exclusive(async () => {
      const status = await this.provider().status();
      assertVersion(version, status);
      if (version >= status.minDecryptionVersion) throw errors.badInput(`Key-encryption key version ${version} is not retired: retire it first.`, { field: 'version' });
      if (version < status.minAvailableVersion) return this.report(status);
      await this.assertNoDependents(version, 'destroyed');
      const after = await this.provider().destroyVersionsBelow(version + 1);
      await this.record('kek.destroy', version, { minAvailableVersion: after.minAvailableVersion });
      return this.report(after);
    });
  }

  private async assertNoDependents(version: number, what: 'retired' | 'destroyed'): Promise<void> {
    const rows = (await this.deps.db.query(`SELECT COUNT(*) AS n FROM ${this.keysTable} WHERE kek_version <= ? OR kek_version IS NULL`, [version])) as Array<{ n: number | string }>;
    const dependents = Number(rows[0]?.n ?? 0);
    if (dependents > 0) {
      throw errors.keyVersionInUse(`Key-encryption key version ${version} cannot be ${what}: ${dependents} wrapped data key(s) still depend on it (or on an older version). Let the rewrap finish first.`, { version, dependents });
    }
  }

  private async report(status: KeyEncryptionKeyStatus): Promise<KeyEncryptionKeyReport> {
    const counts = (await this.deps.db.query(`SELECT kek_version AS v, COUNT(*) AS n FROM ${this.keysTable} GROUP BY kek_version`)) as Array<{ v: number | null; n: number | string }>;
    const byVersion = new Map(counts.map((row) => [row.v === null ? null : Number(row.v), Number(row.n)]));
    const run = this.deps.rewrapper ? await this.deps.rewrapper.latest() : undefined;
    let remaining = 0;
    if (run) {
      for (const [version, count] of byVersion) if (version !== null && version < Math.max(run.targetVersion, status.latestVersion)) remaining += count;
    }
    return {
      provider: this.provider().kind,
      keyName: status.keyName,
      latestVersion: status.latestVersion,
      minDecryptionVersion: status.minDecryptionVersion,
      minAvailableVersion: status.minAvailableVersion,
      versions: status.versions.map((entry) => ({ ...entry, wrappedDataKeys: byVersion.get(entry.version) ?? 0, retired: entry.version < status.minDecryptionVersion })),
      legacyWrappedDataKeys: byVersion.get(null) ?? 0,
      rewrap: run ? { ...run, remaining } : null,
    };
  }

  /** One KEK change at a time across replicas: a retire must not slip between another's count and its effect. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return withAdvisoryLock(this.deps.db, `tessera_kek_admin:${this.deps.controlSchema}`, { waitSeconds: 10, busyMessage: 'Another key-encryption key change is in progress; try again.' }, fn);
  }

  private async record(action: KekAction, version: number, details: Record<string, number>): Promise<void> {
    const keyName = this.provider().keyName;
    await this.deps.db.transaction((manager) =>
      recordSecurityEvent(manager, this.principal, { tenantId: null, action, targetType: 'KeyEncryptionKey', targetId: `${keyName}/v${version}`, outcome: 'SUCCESS', details: { version, ...details } }),
    );
  }

  private provider(): KeyProvider {
    if (!this.deps.provider) throw errors.unavailable('This service has no key provider configured.');
    return this.deps.provider;
  }

  private rewrapper(): DataKeyRewrapper {
    if (!this.deps.rewrapper) throw errors.unavailable('This service has no key provider configured.');
    return this.deps.rewrapper;
  }
}

function assertVersion(version: number, status: KeyEncryptionKeyStatus): void {
  if (!Number.isInteger(version) || version < 1 || version > status.latestVersion) {
    throw errors.badInput(`version must be an existing key-encryption key version (1–${status.latestVersion}).`, { field: 'version' });
  }
}
