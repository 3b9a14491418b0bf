import type { Principal } from '@tessera/auth';
import { assertPermission } from '@tessera/auth';
import { errors } from '@tessera/errors';
import type { TenantScope, TenantScopeFactory } from '@tessera/tenancy';
import { FamilyKeys, familyKeyVersion, familyKeyVersionBase, isFamilyHeaderVersion, type FamilyKeyTable } from './family-keys';

/** What an owner's `reencryptObjects` port method is asked: objects below `belowVersion`, at most `batchSize` of them (0: only count). */
export interface ObjectReencryptionInput {
  belowVersion: number;
  batchSize: number;
}

export interface ObjectReencryptionProgress {
  /** Objects re-encrypted by this call. */
  reencrypted: number;
  /** Objects still under a key version below `belowVersion` after this call. */
  remaining: number;
}

/** Largest batch one port call may ask for: each object is read whole, so a call stays bounded. */
export const maxReencryptionBatch = 100;

/**
 * Re-encrypts the objects of one of the owner's own tables (`table` with `id`, `object_key`,
 * `key_version`, `stored_size`) whose key version is below `belowVersion`, under the tenant's
 * current data key, in place. The row is updated with a compare-and-set on its old version, after
 * the object is written: readers follow the object header, so a row briefly behind its object
 * still reads. Runs in the owner's process, through the actor's tenant scope (its admin).
 */
/**
 * The owners' tables of versioned objects and their parents: only versions of an ACTIVE parent
 * are moved and counted (a parent being deleted is losing its objects; whatever of it is left in
 * the bucket still blocks a retirement through the header scan).
 */
const versionTables: Record<'dataset_versions' | 'model_versions', { parent: string; parentId: string; family?: FamilyKeyTable }> = {
  dataset_versions: { parent: 'datasets', parentId: 'dataset_id', family: { table: 'dataset_keys', idColumn: 'dataset_id' } },
  model_versions: { parent: 'models', parentId: 'model_id', family: { table: 'model_keys', idColumn: 'model_id' } },
};

export async function reencryptTableObjects(scopes: TenantScopeFactory, actor: Principal, table: keyof typeof versionTables, input: ObjectReencryptionInput): Promise<ObjectReencryptionProgress> {
  const { parent, parentId, family } = versionTables[table];
  // Objects under their family's own key (any version) move with a rewrap of that key, not a rewrite.
  const pending = `FROM ${table} v JOIN ${parent} p ON p.id = v.${parentId} AND p.status = 'ACTIVE' WHERE v.key_version <> ${familyKeyVersion} AND v.key_version < ${familyKeyVersionBase} AND v.key_version < ?`;
  assertPermission(actor, 'administer');
  assertReencryptionInput(input);
  const scope = await scopes.forPrincipal(actor);
  let reencrypted = 0;
  if (input.batchSize > 0) {
    const current = await scope.currentDataKey();
    if (current.keyVersion < input.belowVersion) throw errors.conflict(`The current data key (v${current.keyVersion}) is older than v${input.belowVersion}: rotate first.`);
    const rows = (await scope.db((manager) => manager.query(`SELECT v.id, v.object_key, v.key_version ${pending} ORDER BY v.id LIMIT ?`, [input.belowVersion, input.batchSize]))) as Array<{
      id: string;
      object_key: string;
      key_version: number;
    }>;
    for (const row of rows) {
      const stored = await scope.bucket.reencrypt(row.object_key, scope.resolveDataKey, current);
      const updated = (await scope.db((manager) => manager.query(`UPDATE ${table} SET key_version = ?, stored_size = ? WHERE id = ? AND key_version = ?`, [stored.keyVersion, stored.storedSize, row.id, row.key_version]))) as { affectedRows?: number };
      // Deleted while it was being re-encrypted: the PUT must not bring its object back. A parent
      // delete marks it DELETING, removes its objects, then deletes the rows, so the row may still
      // be there (the UPDATE above found it) while the objects are already gone: a parent no longer
      // ACTIVE after the PUT means its removal may have come first, and the object goes here. If it
      // is still ACTIVE, the mark (so the removal) comes later and takes the rewritten object.
      const kept = (await scope.db((manager) =>
        manager.query(`SELECT 1 AS present FROM ${table} v JOIN ${parent} p ON p.id = v.${parentId} AND p.status = 'ACTIVE' WHERE v.id = ?`, [row.id]),
      )) as unknown[];
      if (kept.length === 0) await scope.bucket.remove(row.object_key).catch(() => undefined);
      reencrypted++;
    }
  }
  const counted = (await scope.db((manager) => manager.query(`SELECT COUNT(*) AS n ${pending}`, [input.belowVersion]))) as Array<{ n: number | string }>;
  let remaining = Number(counted[0]?.n ?? 0);
  if (family) {
    const keys = new FamilyKeys(scope, family);
    reencrypted += await keys.rewrap(input.belowVersion, input.batchSize - reencrypted);
    remaining += await keys.pending(input.belowVersion);
  }
  return { reencrypted, remaining };
}

/**
 * The same for objects the owner keeps under `prefixes` of the tenant's bucket without a key
 * version column (audit exports, access reviews): each object's header says its version. Objects
 * not in the encrypted format are left alone.
 */
export async function reencryptPrefixObjects(scope: TenantScope, prefixes: readonly string[], input: ObjectReencryptionInput): Promise<ObjectReencryptionProgress> {
  let reencrypted = 0;
  let remaining = 0;
  const current = input.batchSize > 0 ? await scope.currentDataKey() : undefined;
  for (const prefix of prefixes) {
    for (const key of await scope.bucket.listKeys(prefix)) {
      const version = await scope.bucket.headerKeyVersion(key);
      if (version === undefined || isFamilyHeaderVersion(version) || version >= input.belowVersion) continue;
      if (current && reencrypted < input.batchSize && current.keyVersion >= input.belowVersion) {
        await scope.bucket.reencrypt(key, scope.resolveDataKey, current);
        reencrypted++;
      } else {
        remaining++;
      }
    }
  }
  return { reencrypted, remaining };
}

/** Checks an owner's port input: the same bounds for every owner. */
export function assertReencryptionInput(input: ObjectReencryptionInput): void {
  if (!Number.isInteger(input.belowVersion) || input.belowVersion < 1) throw errors.badInput('belowVersion must be a positive integer.', { field: 'belowVersion' });
  if (!Number.isInteger(input.batchSize) || input.batchSize < 0 || input.batchSize > maxReencryptionBatch) throw errors.badInput(`batchSize must be between 0 and ${maxReencryptionBatch}.`, { field: 'batchSize' });
}
