import type { DataSource } from 'typeorm';
import type { MigratorConfig } from '@tessera/config';
import { databaseUrlOnServer, openMigrationDataSource, regionsByServer, servedRegionsTable } from '../database';
import { assertTenantId, quoteIdentifier, tenantSchemaName } from '../tenant-id';

/**
 * A dedicated-tier tenant's workers connect to the database as an account of their own,
 * `tessera_workers_<tenant>` (hyphens as underscores; at most 48 characters, within MariaDB's 80),
 * instead of the shared pool's `tessera_workers`, whose table grants span every shared-tier tenant's
 * schema (none of a dedicated tenant's: `grant_tenant_tables`) and the whole tenant directory. What
 * such an account holds:
 *
 * - in its tenant's schema, exactly the workers' tenant-plane rights (`service_table_grants` rows of
 *   `tessera_workers`; none today: a run's time is metered by the jobs service, so no worker account
 *   can touch a tenant's meters or audit outbox), given and kept in step by `grant_tenant_tables`
 *   (so `tessera migrate`, provisioning and a new migration's tables treat it like every service
 *   account) and taken away by `drop_tenant_schema`;
 * - in the control plane, SELECT on one SQL SECURITY DEFINER view, `dedicated_worker_tenants`, which
 *   shows the connected account the directory rows of the tenants it is registered for and nothing
 *   else (MySQL grants cannot narrow `tenants` to a row). No right on `tenants` itself.
 *
 * A tenant of a region with a database server of its own (REGION_DATABASES) has its schema there:
 * the account is made on both servers with the same password (every process reaches a region's
 * server as the account it has for the home one), the directory view on the home server, the schema
 * rights (and SELECT on the anchor's `served_regions`, which a pool checks when it opens) on the
 * region's. Each server keeps its own ledger `dedicated_worker_accounts` (no service account has a
 * right on it) saying which account belongs to which tenant there. Accounts are created with a
 * password by root's routine `accounts_tessera.create_dedicated_worker_account`
 * (deploy/mysql/account-routines.sql): the migrator holds EXECUTE on it, not CREATE USER. A tenant's
 * account is confined to that tenant whatever its tier (the ports refuse its workers once the tenant
 * is not dedicated); erasure (`drop_tenant_schema`, on the tenant's server and on the home one)
 * revokes its rights, forgets it and drops it, and `closeDedicatedWorkerAccount` drops it anywhere.
 */
export const dedicatedWorkerAccountsTable = 'dedicated_worker_accounts';
export const dedicatedWorkerDirectoryView = 'dedicated_worker_tenants';
/** Root's schema of the account routines (outside the migrator's `tessera\_%` and `tenant\_%`). */
export const accountRoutinesSchema = 'accounts_tessera';

export function dedicatedWorkerAccountUser(tenantId: string): string {
  assertTenantId(tenantId);
  return `tessera_workers_${tenantId.replace(/-/g, '_')}`;
}

/** The ledger of the accounts on one server (the control schema, or a region server's anchor). */
export function dedicatedWorkerLedgerStatement(control: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(control)}.${dedicatedWorkerAccountsTable} (
       tenant_id VARCHAR(64) NOT NULL,
       account_user VARCHAR(80) NOT NULL,
       account_host VARCHAR(255) NOT NULL,
       PRIMARY KEY (tenant_id, account_user, account_host),
       UNIQUE KEY dedicated_worker_account (account_user, account_host)
     ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;
}

/** The directory view, in the control schema (after the tenants table and the ledger exist). */
export function dedicatedWorkerViewStatement(control: string): string {
  const c = quoteIdentifier(control);
  // USER() is the connected client's account name (CURRENT_USER() would be the definer's). Re-created
  // on every migrate, so `t.*` follows the tenants table's columns.
  return `CREATE OR REPLACE DEFINER = CURRENT_USER SQL SECURITY DEFINER VIEW ${c}.${dedicatedWorkerDirectoryView} AS
       SELECT t.* FROM ${c}.tenants t
        WHERE t.id IN (SELECT a.tenant_id FROM ${c}.${dedicatedWorkerAccountsTable} a WHERE a.account_user = SUBSTRING_INDEX(USER(), '@', 1))`;
}

const account = (user: string, host: string) => `'${user}'@'${host}'`;

/** What making or dropping an account needs: the migrator, its account hosts, and the region servers. */
export type DedicatedAccountMigrator = Pick<MigratorConfig, 'adminUrl' | 'tlsCa' | 'controlSchema' | 'accountHosts' | 'regionServers'>;

/** Where an account was made: its user name, and the region server (`host:port`) of its tenant's schema when that is not the home server. */
export interface DedicatedWorkerAccount {
  user: string;
  regionServer: string | undefined;
}

/**
 * Creates (or re-passwords) `tenantId`'s workers' account at each host, as the migrator, on the home
 * server (the directory view) and, for a tenant of a region with a server of its own, on that server
 * (its schema's rights); then gives it its tenant's schema rights where that schema exists
 * (provisioning gives them later otherwise).
 */
export async function openDedicatedWorkerAccount(migrator: DedicatedAccountMigrator, tenantId: string, password: string): Promise<DedicatedWorkerAccount> {
  const user = dedicatedWorkerAccountUser(tenantId);
  const c = quoteIdentifier(migrator.controlSchema);
  const regionServer = await withMigrator(migrator, async (admin) => {
    const rows = (await admin.query(`SELECT region, tier FROM ${c}.tenants WHERE id = ?`, [tenantId])) as Array<{ region: string; tier: string }>;
    if (!rows[0]) throw new Error(`no tenant ${tenantId} in ${migrator.controlSchema}: its workers' account is made after the tenant`);
    await registerAccount(admin, migrator, tenantId, user, password);
    for (const host of migrator.accountHosts) await admin.query(`GRANT SELECT ON ${c}.${dedicatedWorkerDirectoryView} TO ${account(user, host)}`);
    const server = regionServerOf(migrator, rows[0].region);
    if (server === undefined) await grantSchema(admin, c, tenantId, null);
    return { server, tier: rows[0].tier };
  });
  if (regionServer.server !== undefined) {
    await withMigrator({ ...migrator, adminUrl: databaseUrlOnServer(migrator.adminUrl, regionServer.server) }, async (admin) => {
      await registerAccount(admin, migrator, tenantId, user, password);
      // A pool checks at open that the server was prepared for its region: the account may read that list.
      for (const host of migrator.accountHosts) await admin.query(`GRANT SELECT ON ${c}.${servedRegionsTable} TO ${account(user, host)}`);
      await grantSchema(admin, c, tenantId, regionServer.tier);
    });
  }
  return { user, regionServer: regionServer.server };
}

/** Forgets and drops `tenantId`'s workers' account at each host on every server (also after the tenant was erased, when its region is no longer known). */
export async function closeDedicatedWorkerAccount(migrator: DedicatedAccountMigrator, tenantId: string): Promise<void> {
  const user = dedicatedWorkerAccountUser(tenantId);
  const servers = [undefined, ...regionsByServer(migrator.regionServers, migrator.adminUrl).keys()];
  for (const server of servers) {
    const config = server === undefined ? migrator : { ...migrator, adminUrl: databaseUrlOnServer(migrator.adminUrl, server) };
    await withMigrator(config, async (admin) => {
      await admin.query(`DELETE FROM ${quoteIdentifier(migrator.controlSchema)}.${dedicatedWorkerAccountsTable} WHERE tenant_id = ?`, [tenantId]);
      // Dropping the account takes its grants with it (MariaDB removes them with the user).
      for (const host of migrator.accountHosts) await admin.query(`CALL ${quoteIdentifier(accountRoutinesSchema)}.drop_dedicated_worker_account(?, ?)`, [user, host]);
    });
  }
}

/** The server (`host:port`) of `region`'s tenant schemas when it is not the home server. */
function regionServerOf(migrator: DedicatedAccountMigrator, region: string): string | undefined {
  for (const [server, regions] of regionsByServer(migrator.regionServers, migrator.adminUrl)) if (regions.includes(region)) return server;
  return undefined;
}

async function registerAccount(admin: DataSource, migrator: DedicatedAccountMigrator, tenantId: string, user: string, password: string): Promise<void> {
  const c = quoteIdentifier(migrator.controlSchema);
  for (const host of migrator.accountHosts) {
    await admin.query(`CALL ${quoteIdentifier(accountRoutinesSchema)}.create_dedicated_worker_account(?, ?, ?)`, [user, host, password]);
    await admin.query(`INSERT IGNORE INTO ${c}.${dedicatedWorkerAccountsTable} (tenant_id, account_user, account_host) VALUES (?, ?, ?)`, [tenantId, user, host]);
  }
}

/** `tier`: null on the home server (its routine reads the tenants table), the tenant's on a region server (which has none). */
async function grantSchema(admin: DataSource, c: string, tenantId: string, tier: string | null): Promise<void> {
  const schema = tenantSchemaName(tenantId);
  const exists = (await admin.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema])) as unknown[];
  if (exists.length > 0) await admin.query(`CALL ${c}.grant_tenant_tables(?, ?)`, [schema, tier]);
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
