import type { DataSource } from 'typeorm';
import type { DatabaseConfig } from '@tessera/config';
import { serviceAccountOf } from '../database';
import { quoteIdentifier } from '../tenant-id';

/**
 * Tables the service account may only INSERT into and SELECT from: history. MySQL cannot take a
 * table out of a database-level grant, so the service account holds table-level grants only,
 * given here for every table of a schema after each migration run. A table not listed here is an
 * ordinary table (SELECT, INSERT, UPDATE, DELETE). Add a table name here when it must be
 * append-only, in whichever schema (tenant or control plane) it lives.
 */
export const appendOnlyTables: ReadonlySet<string> = new Set([
  'audit_events', // tenant: the hash-chained audit trail
  'audit_checkpoints', // tenant: signed chain heads
  'security_events', // control plane: the platform security log (chained)
  'security_checkpoints', // control plane: signed heads of the security log
]);

/** Tables the service account may only read: the migration history belongs to the migrator. */
export const readOnlyTables: ReadonlySet<string> = new Set(['schema_migrations']);

type Access = 'read-write' | 'append-only' | 'read-only';

export function accessFor(table: string): Access {
  if (appendOnlyTables.has(table)) return 'append-only';
  if (readOnlyTables.has(table)) return 'read-only';
  return 'read-write';
}

const privileges: Record<Access, { grant: string; revoke: string | null }> = {
  'read-write': { grant: 'SELECT, INSERT, UPDATE, DELETE', revoke: null },
  'append-only': { grant: 'SELECT, INSERT', revoke: 'UPDATE, DELETE' },
  'read-only': { grant: 'SELECT', revoke: 'INSERT, UPDATE, DELETE' },
};

async function tablesOf(admin: DataSource, schema: string): Promise<string[]> {
  const rows = (await admin.query(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    [schema],
  )) as Array<{ name: string }>;
  return rows.map((row) => row.name);
}

/**
 * Gives the service account exactly its rights on every table of `schema`, as the migrator.
 * Idempotent, and generic over whatever tables the migrations created: run after every migration
 * run. Grant first, then revoke what the table's class forbids, so a live service never loses a
 * right it keeps, and a table that became append-only loses UPDATE/DELETE.
 */
export async function grantServiceAccess(admin: DataSource, config: DatabaseConfig, schema: string): Promise<void> {
  const account = await serviceAccountOf(config);
  for (const table of await tablesOf(admin, schema)) {
    const target = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
    const { grant, revoke } = privileges[accessFor(table)];
    await admin.query(`GRANT ${grant} ON ${target} TO ${account}`);
    if (revoke) await admin.query(`REVOKE ${revoke} ON ${target} FROM ${account}`);
  }
}

/**
 * Removes the service account's table grants on `schema`. MySQL keeps table privileges after a
 * DROP DATABASE (and would hand them to a schema created later under the same name), so
 * deprovisioning revokes before it drops.
 */
export async function revokeServiceAccess(admin: DataSource, config: DatabaseConfig, schema: string): Promise<void> {
  const account = await serviceAccountOf(config);
  for (const table of await tablesOf(admin, schema)) {
    const target = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
    await admin.query(`REVOKE ALL PRIVILEGES ON ${target} FROM ${account}`).catch((error: unknown) => {
      // ER_NONEXISTING_TABLE_GRANT: nothing was granted on this table (e.g. a foreign table).
      if ((error as { errno?: number }).errno !== 1147) throw error;
    });
  }
}
