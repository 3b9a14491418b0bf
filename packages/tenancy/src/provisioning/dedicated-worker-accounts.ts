import type { DataSource } from 'typeorm';
import type { MigratorConfig } from '@tessera/config';
import { openMigrationDataSource } from '../database';
import { assertTenantId, quoteIdentifier, tenantSchemaName } from '../tenant-id';

/**
 * A dedicated-tier tenant's workers connect to the database as an account of their own,
 * `tessera_workers_<tenant>` (hyphens as underscores; at most 48 characters, within MariaDB's 80),
 * instead of the shared pool's `tessera_workers`, whose table grants span every tenant schema and
 * the whole tenant directory. What such an account holds:
 *
 * - in its tenant's schema, exactly the workers' tenant-plane rights (`service_table_grants` rows of
 *   `tessera_workers`: usage_meters SIU, usage_budgets S, usage_budget_alerts I, audit_outbox I),
 *   given and kept in step by `grant_tenant_tables` (so `tessera migrate`, provisioning and a new
 *   migration's tables treat it like every service account) and taken away by `drop_tenant_schema`;
 * - in the control plane, SELECT on one SQL SECURITY DEFINER view, `dedicated_worker_tenants`, which
 *   shows the connected account the directory rows of the tenants it is registered for and nothing
 *   else (MySQL grants cannot narrow `tenants` to a row). No right on `tenants` itself.
 *
 * The ledger `dedicated_worker_accounts` (control plane; no service account has a right on it) says
 * which account belongs to which tenant. Accounts are created with a password by root's routine
 * `accounts_tessera.create_dedicated_worker_account` (deploy/mysql/account-routines.sql): the
 * migrator holds EXECUTE on it, not CREATE USER. A tenant's account is confined to that tenant
 * whatever its tier, so a tier change needs nothing here; erasure (drop_tenant_schema) revokes its
 * rights and forgets it, and `closeDedicatedWorkerAccount` drops it.
 */
export const dedicatedWorkerAccountsTable = 'dedicated_worker_accounts';
export const dedicatedWorkerDirectoryView = 'dedicated_worker_tenants';
/** Root's schema of the account routines (outside the migrator's `tessera\_%` and `tenant\_%`). */
export const accountRoutinesSchema = 'accounts_tessera';

export function dedicatedWorkerAccountUser(tenantId: string): string {
  assertTenantId(tenantId);
  return `tessera_workers_${tenantId.replace(/-/g, '_')}`;
}

/** The ledger and the directory view, in the control schema (after the tenants table exists). */
export function dedicatedWorkerStatements(control: string): string[] {
  const c = quoteIdentifier(control);
  return [
    `CREATE TABLE IF NOT EXISTS ${c}.${dedicatedWorkerAccountsTable} (
       tenant_id VARCHAR(64) NOT NULL,
       account_user VARCHAR(80) NOT NULL,
       account_host VARCHAR(255) NOT NULL,
       PRIMARY KEY (tenant_id, account_user, account_host),
       UNIQUE KEY dedicated_worker_account (account_user, account_host)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
    // USER() is the connected client's account name (CURRENT_USER() would be the definer's). Re-created
    // on every migrate, so `t.*` follows the tenants table's columns.
    `CREATE OR REPLACE DEFINER = CURRENT_USER SQL SECURITY DEFINER VIEW ${c}.${dedicatedWorkerDirectoryView} AS
       SELECT t.* FROM ${c}.tenants t
        WHERE t.id IN (SELECT a.tenant_id FROM ${c}.${dedicatedWorkerAccountsTable} a WHERE a.account_user = SUBSTRING_INDEX(USER(), '@', 1))`,
  ];
}

const account = (user: string, host: string) => `'${user}'@'${host}'`;

/**
 * Creates (or re-passwords) `tenantId`'s workers' account at each host, as the migrator, and gives it
 * its tenant's rights: the directory view, and its tenant schema's worker tables when that schema
 * exists (provisioning gives them later otherwise). Returns the account's user name.
 */
export async function openDedicatedWorkerAccount(admin: DataSource, controlSchema: string, tenantId: string, hosts: readonly string[], password: string): Promise<string> {
  const user = dedicatedWorkerAccountUser(tenantId);
  const c = quoteIdentifier(controlSchema);
  const known = (await admin.query(`SELECT 1 FROM ${c}.tenants WHERE id = ?`, [tenantId])) as unknown[];
  if (known.length === 0) throw new Error(`no tenant ${tenantId} in ${controlSchema}: its workers' account is made after the tenant`);
  for (const host of hosts) {
    await admin.query(`CALL ${quoteIdentifier(accountRoutinesSchema)}.create_dedicated_worker_account(?, ?, ?)`, [user, host, password]);
    await admin.query(`INSERT IGNORE INTO ${c}.${dedicatedWorkerAccountsTable} (tenant_id, account_user, account_host) VALUES (?, ?, ?)`, [tenantId, user, host]);
    await admin.query(`GRANT SELECT ON ${c}.${dedicatedWorkerDirectoryView} TO ${account(user, host)}`);
  }
  const schema = tenantSchemaName(tenantId);
  const exists = (await admin.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema])) as unknown[];
  if (exists.length > 0) await admin.query(`CALL ${c}.grant_tenant_tables(?)`, [schema]);
  return user;
}

/** Forgets and drops `tenantId`'s workers' account at each host (also after the tenant was erased). */
export async function closeDedicatedWorkerAccount(admin: DataSource, controlSchema: string, tenantId: string, hosts: readonly string[]): Promise<void> {
  const user = dedicatedWorkerAccountUser(tenantId);
  await admin.query(`DELETE FROM ${quoteIdentifier(controlSchema)}.${dedicatedWorkerAccountsTable} WHERE tenant_id = ?`, [tenantId]);
  // Dropping the account takes its grants with it (MariaDB removes them with the user).
  for (const host of hosts) await admin.query(`CALL ${quoteIdentifier(accountRoutinesSchema)}.drop_dedicated_worker_account(?, ?)`, [user, host]);
}

/** `url` (a worker's DATABASE_URL: server, options) with `tenantId`'s workers' account and `password` as its credentials. */
export function dedicatedWorkerDatabaseUrl(url: string, tenantId: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = dedicatedWorkerAccountUser(tenantId);
  parsed.password = password; // the setter percent-encodes
  return parsed.toString();
}

/** The same with a migrator connection of its own (scripts, the test harness, `npm start`). */
export async function withMigrator<T>(config: Pick<MigratorConfig, 'adminUrl' | 'tlsCa'>, run: (admin: DataSource) => Promise<T>): Promise<T> {
  const admin = await openMigrationDataSource(config, undefined, []);
  try {
    return await run(admin);
  } finally {
    await admin.destroy();
  }
}
