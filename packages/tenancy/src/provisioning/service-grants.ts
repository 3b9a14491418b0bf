import type { DataSource } from 'typeorm';
import { dmlPrivileges, tableGrants, type Plane, type Privilege, type ServiceData, type ServiceName } from '../ownership/table-ownership';
import { quoteIdentifier } from '../tenant-id';
import { grantsTable } from './tenant-schema-procedures';

/** The database account of a service: one user per service, `tessera_<service>`, at each configured host. */
export function serviceAccountUser(service: ServiceName): string {
  return `tessera_${service}`;
}

export interface AccountGrant {
  user: string;
  host: string;
  table: string;
  /** Table-level privileges to give. */
  grant: Privilege[];
  /** Table-level privileges to take. Never INSERT beside `insertColumns`: revoking INSERT takes column-level INSERT too. */
  revoke: Privilege[];
  /** INSERT on these columns only (empty: none, or a table-level INSERT in `grant`). */
  insertColumns: string[];
}

/** The declarations as per-account grants of one plane: what each account gets, and what it must not keep. */
export function accountGrants(services: readonly ServiceData[], hosts: readonly string[], plane: Plane): AccountGrant[] {
  return tableGrants(services)
    .filter((grant) => grant.plane === plane)
    .flatMap((grant) =>
      hosts.map((host) => ({
        user: serviceAccountUser(grant.service),
        host,
        table: grant.table,
        grant: grant.privileges,
        revoke: dmlPrivileges.filter((p) => !grant.privileges.includes(p) && !(p === 'INSERT' && grant.insertColumns.length > 0)),
        insertColumns: grant.insertColumns,
      })),
    );
}

const account = (user: string, host: string) => `'${user}'@'${host}'`;

/** Runs a REVOKE that may find nothing to revoke (1141/1147: no grant defined for that account or table). */
async function revokeIfHeld(admin: DataSource, sql: string): Promise<void> {
  await admin.query(sql).catch((error: unknown) => {
    const errno = (error as { errno?: number }).errno;
    if (errno !== 1141 && errno !== 1147) throw error;
  });
}

/**
 * The rights service accounts hold on `schema`'s tables, as `user@host/table` → privileges (upper
 * case, as GRANT names them). Read from mysql.tables_priv, which the migrator may read: a REVOKE is
 * sent only where there is a right to take (a REVOKE of nothing costs as much as one that takes a
 * right, and one per table and account was most of a migrate and of a test stack's start and stop).
 */
export async function heldTableRights(admin: DataSource, schema: string): Promise<HeldTableRight[]> {
  const rows = (await admin.query('SELECT User AS user, Host AS host, Table_name AS tableName, Table_priv AS rights FROM mysql.tables_priv WHERE Db = ?', [schema])) as Array<{
    user: string;
    host: string;
    tableName: string;
    rights: string;
  }>;
  return rows.map((row) => ({
    user: row.user,
    host: row.host,
    table: row.tableName,
    rights: new Set(String(row.rights).split(',').filter((right) => right !== '').map((right) => right.toUpperCase())),
  }));
}

export interface HeldTableRight {
  user: string;
  host: string;
  table: string;
  /** Table-level privileges, upper case ('SELECT', 'INSERT', …); empty where only column rights are held. */
  rights: ReadonlySet<string>;
}

/**
 * The columns each service account may INSERT into, per table of `schema`, keyed like
 * `heldTableRights` (mysql.columns_priv).
 */
export async function heldInsertColumns(admin: DataSource, schema: string): Promise<Map<string, Set<string>>> {
  const rows = (await admin.query("SELECT User AS user, Host AS host, Table_name AS tableName, Column_name AS columnName FROM mysql.columns_priv WHERE Db = ? AND FIND_IN_SET('Insert', Column_priv) > 0", [schema])) as Array<{
    user: string;
    host: string;
    tableName: string;
    columnName: string;
  }>;
  const held = new Map<string, Set<string>>();
  for (const row of rows) {
    const key = heldKey(row.user, row.host, row.tableName);
    held.set(key, (held.get(key) ?? new Set<string>()).add(row.columnName));
  }
  return held;
}

/** The GRANT of INSERT on `columns` only (names checked by the declarations: plain identifiers). */
export function insertColumnsGrant(columns: readonly string[]): string {
  return `INSERT (${columns.map(quoteIdentifier).join(', ')})`;
}

function heldKey(user: string, host: string, table: string): string {
  return JSON.stringify([user, host, table]);
}

async function tablesOf(admin: DataSource, schema: string): Promise<string[]> {
  const rows = (await admin.query(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    [schema],
  )) as Array<{ name: string }>;
  return rows.map((row) => row.name);
}

/**
 * Gives every service account exactly its control-plane rights, as the migrator: for each table of
 * the control schema and each account, GRANT what the declarations give it, then REVOKE the rest
 * (grant first, so a live service never loses a right it keeps). A table no declaration names
 * (the migration history, the grants list itself) is left to the migrator alone.
 */
export async function grantControlPlane(admin: DataSource, controlSchema: string, services: readonly ServiceData[], hosts: readonly string[]): Promise<void> {
  const grants = accountGrants(services, hosts, 'control');
  const accounts = services.flatMap(({ service }) => hosts.map((host) => ({ user: serviceAccountUser(service), host })));
  const held = new Map((await heldTableRights(admin, controlSchema)).map((right) => [heldKey(right.user, right.host, right.table), right.rights]));
  const heldColumns = await heldInsertColumns(admin, controlSchema);
  // Only what changes is sent: a GRANT where a declared right is missing, a REVOKE where a right
  // is held that the declarations do not give (an up-to-date control plane costs no statement).
  for (const table of await tablesOf(admin, controlSchema)) {
    const target = `${quoteIdentifier(controlSchema)}.${quoteIdentifier(table)}`;
    for (const { user, host } of accounts) {
      const holds = held.get(heldKey(user, host, table));
      const grant = grants.find((g) => g.user === user && g.host === host && g.table === table);
      if (grant) {
        if (grant.grant.length > 0 && !grant.grant.every((right) => holds?.has(right))) await admin.query(`GRANT ${grant.grant.join(', ')} ON ${target} TO ${account(user, host)}`);
        const taken = grant.revoke.filter((right) => holds?.has(right));
        if (taken.length > 0) await revokeIfHeld(admin, `REVOKE ${taken.join(', ')} ON ${target} FROM ${account(user, host)}`);
        if (grant.insertColumns.length > 0) await grantInsertColumns(admin, target, account(user, host), grant.insertColumns, holds?.has('INSERT') ?? false, heldColumns.get(heldKey(user, host, table)) ?? new Set());
      } else if (holds) {
        await revokeIfHeld(admin, `REVOKE ALL PRIVILEGES ON ${target} FROM ${account(user, host)}`);
      }
    }
  }
}

/**
 * Leaves `grantee` with INSERT on exactly `columns` of `target`. A table-level INSERT, or INSERT on
 * a column not listed, is taken first (REVOKE INSERT takes every column's too: MariaDB and MySQL
 * have no other way to narrow it), then the columns are given; when only columns are missing they
 * are added without taking anything, so an up-to-date account is never without its right.
 */
async function grantInsertColumns(admin: DataSource, target: string, grantee: string, columns: readonly string[], tableInsertHeld: boolean, held: ReadonlySet<string>): Promise<void> {
  const narrow = tableInsertHeld || [...held].some((column) => !columns.includes(column));
  if (narrow) await revokeIfHeld(admin, `REVOKE INSERT ON ${target} FROM ${grantee}`);
  if (narrow || columns.some((column) => !held.has(column))) await admin.query(`GRANT ${insertColumnsGrant(columns)} ON ${target} TO ${grantee}`);
}

/**
 * Replaces the list the tenant-schema procedures grant from (control schema, `service_table_grants`)
 * with the declarations' tenant-plane grants: the procedures give every tenant schema, new or
 * existing, the same per-service rights.
 */
export async function writeTenantGrantList(admin: DataSource, controlSchema: string, services: readonly ServiceData[], hosts: readonly string[]): Promise<void> {
  const table = `${quoteIdentifier(controlSchema)}.${grantsTable}`;
  const rows = accountGrants(services, hosts, 'tenant');
  await admin.transaction(async (manager) => {
    await manager.query(`DELETE FROM ${table}`);
    // One statement per hundred rows rather than per row: the list is rewritten by every migrate.
    for (let start = 0; start < rows.length; start += 100) {
      const batch = rows.slice(start, start + 100);
      await manager.query(
        `INSERT INTO ${table} (account_user, account_host, table_name, grant_privileges, revoke_privileges, insert_columns) VALUES ${batch.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
        batch.flatMap((row) => [row.user, row.host, row.table, row.grant.join(', '), row.revoke.join(', '), row.insertColumns.join(',')]),
      );
    }
  });
}

/** Revokes every service account's rights on `schema`'s tables (before a control plane is dropped). */
export async function revokeAllServiceAccess(admin: DataSource, schema: string, services: readonly ServiceName[], hosts: readonly string[]): Promise<void> {
  // Every right held, on any table name (one of a table dropped meanwhile included): MariaDB keeps
  // a table's grants past its DROP and would hand them to a later table of that name.
  const accounts = new Set(services.flatMap((service) => hosts.map((host) => heldKey(serviceAccountUser(service), host, ''))));
  for (const { user, host, table } of await heldTableRights(admin, schema)) {
    if (accounts.has(heldKey(user, host, ''))) await revokeIfHeld(admin, `REVOKE ALL PRIVILEGES ON ${quoteIdentifier(schema)}.${quoteIdentifier(table)} FROM ${account(user, host)}`);
  }
}
