import type { Principal } from '@tessera/auth';
import { assertPermission } from '@tessera/auth';
import { errors, isTesseraError } from '@tessera/errors';
import type { TenantScope, TenantScopeFactory } from '@tessera/tenancy';
import { FamilyKeys, familyHeaderVersion, familyVersionOf, isFamilyHeaderVersion, type FamilyKeyTable } from './family-keys';
import { parseUuid } from './ids';
import { maxReencryptionBatch } from './object-reencryption';
import { TenantTurns } from './tenant-turns';

/** A family of objects with its own key: a dataset (its versions and uploads) or a model (its version files and uploads). */
export interface KeyFamily {
  keys: FamilyKeyTable;
  /** The parent table, whose ACTIVE row is the family; anything else is NOT_FOUND. */
  parent: 'datasets' | 'models';
  /** The family's objects are `<prefix>/<family id>/…` in the tenant's bucket. */
  prefix: 'datasets' | 'models';
  /** The owner's rows naming an object (`object_key`) and its header version (`key_version`). */
  objectTables: readonly string[];
  /**
   * Which of those rows keep an object: every version row, and an upload row until it is
   * COMPLETED (a completed upload's object is its version's). An object whose keeping rows went
   * while the run rewrote it was deleted meanwhile.
   */
  keepers: { versions: string; uploads: string };
  /** The public name of the family, as NOT_FOUND names it. */
  targetType: 'Dataset' | 'Model';
}

export const datasetKeyFamily: KeyFamily = { keys: { table: 'dataset_keys', idColumn: 'dataset_id' }, parent: 'datasets', prefix: 'datasets', objectTables: ['dataset_versions', 'dataset_uploads'], keepers: { versions: 'dataset_versions', uploads: 'dataset_uploads' }, targetType: 'Dataset' };
export const modelKeyFamily: KeyFamily = { keys: { table: 'model_keys', idColumn: 'model_id' }, parent: 'models', prefix: 'models', objectTables: ['model_versions', 'model_uploads'], keepers: { versions: 'model_versions', uploads: 'model_uploads' }, targetType: 'Model' };

export interface FamilyKeyInput {
  familyId: string;
}

export interface FamilyKeyReport {
  familyId: string;
  /** The version new objects are written under (0 before the family's first object). */
  currentVersion: number;
  versions: Array<{ version: number; createdAt: string; objects: number }>;
  /** Objects of the family still directly under a tenant data key (written before per-family keys). */
  objectsUnderTenantKey: number;
}

export interface FamilyReencryptionInput {
  familyId: string;
  /** The family key version the run moves every object of the family to (or a later one). */
  targetVersion: number;
  /** Objects to move in this call (0: only count). */
  batchSize: number;
  /**
   * Go on after this object key (the previous call's `next`); absent: from the family's first.
   * Each call then reads the headers of about one batch of objects, not of every object: before,
   * every batch read them all, so a run over N objects made about N² / batchSize reads.
   */
  after?: string | null | undefined;
}

/** What a batch did, and where the next one goes on (`next`: the last object key it looked at). */
export interface FamilyReencryptionProgress {
  reencrypted: number;
  /**
   * Objects still to look at: those of this batch not moved, and every object after `next` (an
   * upper bound until the scan reaches the end; 0 when nothing after `after` is left under an older version).
   */
  remaining: number;
  next?: string | undefined;
}

export interface FamilyKeyVersionInput {
  familyId: string;
  version: number;
}

/**
 * The per-family key operations the owner (datasets, models) publishes on its port: status,
 * rotation, re-encryption of the family's objects under its latest key version, and destruction
 * of an older version. Every call acts through the actor's TenantScope and asserts the admin
 * permission first; a family the actor's tenant does not hold (another tenant's id included) is
 * NOT_FOUND, exactly like an id that never existed.
 */
export class FamilyKeyOperations {
  constructor(
    private readonly scopes: TenantScopeFactory,
    private readonly family: KeyFamily,
    /** The turns of the scans an admin asks for (status, destroy): per owner process. */
    private readonly scans: TenantTurns = familyKeyScanTurns(),
  ) {}

  async status(actor: Principal, input: FamilyKeyInput): Promise<FamilyKeyReport> {
    return this.inScanTurn(actor, () => this.statusNow(actor, input));
  }

  private async statusNow(actor: Principal, input: FamilyKeyInput): Promise<FamilyKeyReport> {
    const { scope, familyId, keys } = await this.enter(actor, input.familyId);
    const versions = await keys.versions(familyId);
    const objects = await this.objectsByHeader(scope, familyId);
    let objectsUnderTenantKey = 0;
    const perVersion = new Map<number, number>();
    for (const header of objects.values()) {
      if (isFamilyHeaderVersion(header)) perVersion.set(familyVersionOf(header), (perVersion.get(familyVersionOf(header)) ?? 0) + 1);
      else objectsUnderTenantKey++;
    }
    return {
      familyId,
      currentVersion: versions.at(-1)?.version ?? 0,
      versions: versions.map((entry) => ({ version: entry.version, createdAt: entry.createdAt.toISOString(), objects: perVersion.get(entry.version) ?? 0 })),
      objectsUnderTenantKey,
    };
  }

  /** Adds the next key version of the family; new objects of the family use it at once. */
  async rotate(actor: Principal, input: FamilyKeyInput): Promise<{ familyId: string; version: number }> {
    const { familyId, keys } = await this.enter(actor, input.familyId);
    return { familyId, version: await keys.rotate(familyId) };
  }

  /**
   * Moves up to `batchSize` objects of the family that are not under its latest key version (an
   * older version, or a tenant data key) to the latest one, in place: read whole, one PUT (which
   * replaces atomically), then the rows naming the object follow. Readers follow the object
   * header, so a reader is never without a key. Objects under a version already destroyed are
   * left (nothing opens them). Answers what is left.
   *
   * Deletes go on meanwhile, and the PUT must not bring back what one removed between the read and
   * the write. A delete ends the rows that keep an object (a version's row, a dataset or model
   * marked DELETING) before it removes the object, and the check below comes after the PUT: if it
   * still sees them, the delete's removal comes later and takes the rewritten object; if not, the
   * object is removed here. A family being deleted ends the call NOT_FOUND, as a family already
   * gone does. An object removed before it was read is no longer there to move: it is skipped, not
   * a failure of the run (which then named the object's key in the bucket).
   */
  async reencrypt(actor: Principal, input: FamilyReencryptionInput): Promise<FamilyReencryptionProgress> {
    const { scope, familyId, keys } = await this.enter(actor, input.familyId);
    if (!Number.isInteger(input.targetVersion) || input.targetVersion < 1) throw errors.badInput('targetVersion must be a positive integer.', { field: 'targetVersion' });
    if (!Number.isInteger(input.batchSize) || input.batchSize < 0 || input.batchSize > maxReencryptionBatch) throw errors.badInput(`batchSize must be between 0 and ${maxReencryptionBatch}.`, { field: 'batchSize' });
    const after = input.after ?? undefined;
    if (after !== undefined && (typeof after !== 'string' || !after.startsWith(`${this.family.prefix}/${familyId}/`))) throw errors.badInput('after must be an object key of the family.', { field: 'after' });
    const versions = new Set((await keys.versions(familyId)).map((entry) => entry.version));
    const latest = Math.max(0, ...versions);
    if (latest < input.targetVersion) throw errors.conflict(`The ${this.family.targetType.toLowerCase()}'s key is at v${latest}, older than v${input.targetVersion}.`);
    const target = familyHeaderVersion(latest);
    // Listing is one request per thousand keys; the headers are one read each: read only until the
    // batch is full (every header when only counting).
    const listed = (await scope.bucket.listKeys(`${this.family.prefix}/${familyId}/`)).filter((key) => after === undefined || key > after);
    const pending: string[] = [];
    let examined = 0;
    let next: string | undefined;
    for (const key of listed) {
      if (input.batchSize > 0 && pending.length >= input.batchSize) break;
      examined++;
      next = key;
      const header = await scope.bucket.headerKeyVersion(key);
      if (header === undefined || header === target) continue;
      if (isFamilyHeaderVersion(header) && !versions.has(familyVersionOf(header))) continue;
      pending.push(key);
    }
    const unexamined = listed.length - examined;
    if (input.batchSize === 0 || pending.length === 0) return { reencrypted: 0, remaining: pending.length + unexamined, next: next ?? after };
    const current = await keys.forWriting(familyId);
    const resolve = keys.resolver(familyId);
    let reencrypted = 0;
    let done = 0;
    for (const key of pending) {
      if (reencrypted === input.batchSize) break;
      done++;
      const kept = await this.isKept(scope, key);
      let stored: Awaited<ReturnType<typeof scope.bucket.reencrypt>>;
      try {
        stored = await scope.bucket.reencrypt(key, resolve, current);
      } catch (error) {
        if (!isObjectNotFound(error)) throw error;
        await this.assertActive(scope, familyId);
        continue; // removed since it was listed: nothing left to move
      }
      if (!(await this.isActive(scope, familyId))) {
        await scope.bucket.remove(key).catch(() => undefined);
        throw errors.notFound(this.family.targetType, familyId);
      }
      if (kept && !(await this.isKept(scope, key))) {
        await scope.bucket.remove(key).catch(() => undefined);
        continue;
      }
      await scope.db(async (manager) => {
        for (const table of this.family.objectTables) {
          await manager.query(`UPDATE ${table} SET key_version = ? WHERE object_key = ? AND key_version IS NOT NULL`, [stored.keyVersion, key]);
        }
      });
      reencrypted++;
    }
    return { reencrypted, remaining: pending.length - done + unexamined, next: next ?? after };
  }

  /**
   * Destroys one older key version of the family for good. KEY_VERSION_IN_USE (with
   * `dependents`) while any object of the family is still under it; BAD_USER_INPUT for the
   * current version or one that does not exist.
   */
  async destroy(actor: Principal, input: FamilyKeyVersionInput): Promise<{ familyId: string; version: number }> {
    return this.inScanTurn(actor, () => this.destroyNow(actor, input));
  }

  private async destroyNow(actor: Principal, input: FamilyKeyVersionInput): Promise<{ familyId: string; version: number }> {
    const { scope, familyId, keys } = await this.enter(actor, input.familyId);
    const versions = (await keys.versions(familyId)).map((entry) => entry.version);
    const { version } = input;
    if (!Number.isInteger(version) || !versions.includes(version)) throw errors.badInput(`version must be an existing key version of the ${this.family.targetType.toLowerCase()}.`, { field: 'version' });
    if (version === versions.at(-1)) throw errors.badInput('The current key version encrypts new objects: rotate first.', { field: 'version' });
    const header = familyHeaderVersion(version);
    const outcome = await scope.transaction((manager) =>
      keys.destroyVersion(manager, familyId, version, async () => [...(await this.objectsByHeader(scope, familyId)).values()].filter((candidate) => candidate === header).length),
    );
    if ('dependents' in outcome) {
      throw errors.keyVersionInUse(`Key version ${version} of the ${this.family.targetType.toLowerCase()} still encrypts ${outcome.dependents} object(s): let its re-encryption finish.`, {
        version,
        dependents: outcome.dependents,
      });
    }
    if (!outcome.destroyed) throw errors.badInput(`version must be an existing key version of the ${this.family.targetType.toLowerCase()}.`, { field: 'version' });
    return { familyId, version };
  }

  /**
   * Runs a scan of the family's objects in one of the actor's tenant's turns. Permission and id are
   * checked first, so a refused or malformed call never waits for (or takes) a turn.
   */
  private async inScanTurn<T>(actor: Principal, scan: () => Promise<T>): Promise<T> {
    assertPermission(actor, 'administer');
    if (!actor.tenantId) return scan();
    return this.scans.run(actor.tenantId, scan);
  }

  private async enter(actor: Principal, given: string): Promise<{ scope: TenantScope; familyId: string; keys: FamilyKeys }> {
    assertPermission(actor, 'administer');
    const familyId = parseUuid(given, 'id');
    const scope = await this.scopes.forPrincipal(actor);
    await this.assertActive(scope, familyId);
    return { scope, familyId, keys: new FamilyKeys(scope, this.family.keys) };
  }

  private async isActive(scope: TenantScope, familyId: string): Promise<boolean> {
    const rows = (await scope.db((manager) => manager.query(`SELECT id FROM ${this.family.parent} WHERE id = ? AND status = 'ACTIVE'`, [familyId]))) as unknown[];
    return rows.length > 0;
  }

  private async assertActive(scope: TenantScope, familyId: string): Promise<void> {
    if (!(await this.isActive(scope, familyId))) throw errors.notFound(this.family.targetType, familyId);
  }

  /** Whether a row still keeps the object (see `KeyFamily.keepers`). */
  private async isKept(scope: TenantScope, key: string): Promise<boolean> {
    const { versions, uploads } = this.family.keepers;
    const rows = (await scope.db((manager) =>
      manager.query(`SELECT 1 AS kept FROM ${versions} WHERE object_key = ? UNION ALL SELECT 1 AS kept FROM ${uploads} WHERE object_key = ? AND status <> 'COMPLETED' LIMIT 1`, [key, key]),
    )) as unknown[];
    return rows.length > 0;
  }

  /** Every encrypted object of the family in the bucket, by key, with its header key version (staged uploads and job outputs included). */
  private async objectsByHeader(scope: TenantScope, familyId: string): Promise<Map<string, number>> {
    const objects = new Map<string, number>();
    for (const key of await scope.bucket.listKeys(`${this.family.prefix}/${familyId}/`)) {
      const header = await scope.bucket.headerKeyVersion(key);
      if (header !== undefined) objects.set(key, header);
    }
    return objects;
  }
}

/** The store's NOT_FOUND for the object itself (`TenantBucket.getDecrypted`), not for a key or a row. */
function isObjectNotFound(error: unknown): boolean {
  return isTesseraError(error) && error.code === 'NOT_FOUND' && (error.extensions as { kind?: unknown }).kind === 'Object';
}

/**
 * Turns for the scans of a family's objects an admin asks for: `datasetKey` / `modelKey` (the
 * header of every object, one ranged read each) and a version's retirement (the same count under
 * the rows' lock). Their work grows with the family's versions, a query costs a few units, and
 * the root fields of one operation resolve in parallel: before, one tenant's four operations of 20
 * aliased `datasetKey` over a dataset of 100 versions made 8 000 object reads at once, and another
 * tenant's dataset preview took 0.5–3 s instead of 50 ms meanwhile. Per owner process, a tenant
 * scans once at a time and all tenants together `inFlight`; a few more of a tenant wait up to 2 s,
 * the rest are RATE_LIMITED (`limit: familyKeyScansPerTenant` or `familyKeyScansInFlight`). The
 * rotation runs are not gated here: the tenants service drives them one batch of a tenant at a time.
 */
export function familyKeyScanTurns(options: { perTenant?: number; inFlight?: number; queueWaitMs?: number; maxQueuedPerTenant?: number } = {}): TenantTurns {
  return new TenantTurns({
    perTenant: options.perTenant ?? 1,
    inFlight: options.inFlight ?? 4,
    queueWaitMs: options.queueWaitMs ?? 2_000,
    maxQueuedPerTenant: options.maxQueuedPerTenant ?? 4,
    retryAfterSeconds: 2,
    refusal: {
      perTenantLimit: 'familyKeyScansPerTenant',
      inFlightLimit: 'familyKeyScansInFlight',
      perTenantMessage: (limitValue) => `Your tenant already has ${limitValue} dataset or model key status or retirement running on this replica; retry once it has answered.`,
      inFlightMessage: 'This service is answering as many dataset and model key statuses and retirements as it allows at once; retry in a moment.',
    },
  });
}
