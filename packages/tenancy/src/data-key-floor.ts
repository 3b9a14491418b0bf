import type { EntityManager } from 'typeorm';
import { errors } from '@tessera/errors';
import type { CurrentDataKey, TenantKeyring } from './control-plane/tenant-keyring';
import { quoteIdentifier, tenantSchemaName } from './tenant-id';

/**
 * The lowest tenant data-key version a new value may be sealed with, kept in the tenant's own
 * schema (one row, owned by the tenants service, readable by every service that seals).
 *
 * Why here and not in the control plane: a small sealed write (a job result, a dataset profile,
 * an audit detail, a wrapped family key) commits in the tenant's schema, which may live on a
 * region's server, while `tenant_keys` lives on the control plane's. A lock on `tenant_keys` cannot
 * hold such a commit back without a second connection kept open across it. A row beside the data
 * can: the writer reads it under a shared lock inside the very transaction that stores the sealed
 * value, and the retirement of version v raises it to v + 1 with an UPDATE before anything is
 * counted. That UPDATE waits until every writer holding the shared lock has committed (so the
 * count sees what they stored), and a writer locking the row after it finds the floor above v and
 * never seals with v: it takes the current key, which is above the floor (a version is retired
 * only once a newer one is current).
 */
export const dataKeyFloorTable = 'data_key_floor';

/** MySQL's ER_LOCK_WAIT_TIMEOUT and ER_LOCK_DEADLOCK: a retirement raising the floor gave way to the writers. */
const lockWaitTimeout = 1205;
const deadlock = 1213;

function floorTable(tenantId: string): string {
  return `${quoteIdentifier(tenantSchemaName(tenantId))}.${dataKeyFloorTable}`;
}

function inTransaction(manager: EntityManager): boolean {
  return manager.queryRunner?.isTransactionActive === true;
}

/**
 * The tenant's current data key for a seal stored by `manager`'s transaction: the floor is read
 * under a shared lock first (held until that transaction ends), then the current key. Outside a
 * transaction the lock would end with the statement and the write could land after a retirement
 * counted, so that is refused as a programming error.
 */
export async function sealingKeyWithin(manager: EntityManager, keyring: Pick<TenantKeyring, 'currentKey'>, tenantId: string): Promise<CurrentDataKey> {
  if (!inTransaction(manager)) throw new Error('a sealed value is stored in the transaction that took its key: seal inside a transaction');
  const rows = (await manager.query(`SELECT floor_version FROM ${floorTable(tenantId)} WHERE id = 1 LOCK IN SHARE MODE`)) as Array<{ floor_version: number | string }>;
  if (!rows[0]) throw new Error(`tenant ${tenantId}'s schema has no ${dataKeyFloorTable} row: run \`tessera migrate\``);
  const floor = Number(rows[0].floor_version);
  const key = await keyring.currentKey(tenantId);
  // Cannot happen while versions are retired only below the current one; refused rather than written under a retired version.
  if (key.keyVersion < floor) throw errors.conflict(`Data-key version ${key.keyVersion} of tenant ${tenantId} is being retired: do it again.`, { reason: 'DATA_KEY_DESTROYED' });
  return key;
}

/**
 * Retirement side: from now on nothing is sealed with `version` or older, and every write that
 * took one of them has committed. `manager` is a connection in the tenant's schema's server,
 * outside any other transaction (the UPDATE commits on its own). Lock waits and deadlocks with
 * writers (a writer holding a row lock and waiting for the floor behind this UPDATE) are retried a
 * few times, then answered CONFLICT: nothing was retired, ask again.
 */
export async function raiseDataKeyFloor(manager: EntityManager, tenantId: string, version: number, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await manager.query(`UPDATE ${floorTable(tenantId)} SET floor_version = GREATEST(floor_version, ?) WHERE id = 1`, [version + 1]);
      return;
    } catch (error) {
      const errno = (error as { errno?: number } | null)?.errno;
      if (errno !== lockWaitTimeout && errno !== deadlock) throw error;
      if (attempt >= attempts) throw errors.conflict(`Writes of tenant ${tenantId} kept data-key version ${version} busy: retire it again.`, { reason: 'KEY_VERSION_BUSY' });
    }
  }
}

/** The floor as it is (tests, the report of a retirement). */
export async function dataKeyFloor(manager: EntityManager, tenantId: string): Promise<number> {
  const rows = (await manager.query(`SELECT floor_version FROM ${floorTable(tenantId)} WHERE id = 1`)) as Array<{ floor_version: number | string }>;
  return Number(rows[0]?.floor_version ?? 0);
}
