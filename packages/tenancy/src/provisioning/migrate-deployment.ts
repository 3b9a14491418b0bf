import type { DataSource } from 'typeorm';
import type { MigratorConfig } from '@tessera/config';
import { databaseUrlOnServer, openMigrationDataSource, regionsByServer, servedRegionsTable } from '../database';
import { migrateServiceSchema, servicesWithPendingMigrations } from '../migrations/run-service-migrations';
import { migrationOrder } from '../migrations/service-migrations';
import { adoptSingleSequenceHistory } from '../migrations/single-sequence';
import { serviceNames, type Plane, type ServiceData } from '../ownership/table-ownership';
import { quoteIdentifier, tenantSchemaName } from '../tenant-id';
import { grantControlPlane, revokeAllServiceAccess, serviceAccountUser, writeTenantGrantList } from './service-grants';
import { functionNames, ledgerTableOf, procedureNames, procedureStatements, templateSchemaName, upgradeGrantsTable } from './tenant-schema-procedures';

export interface MigrationReport {
  /** Existing tenant schemas brought to the latest migration and re-granted (every server). */
  tenantSchemas: number;
  /** Per region server (REGION_DATABASES), `host:port` → its tenant schemas migrated. */
  regionServers: Record<string, number>;
}

const charset = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci';

/**
 * `tessera migrate`: everything that needs the migrator account, once per deployment, before any
 * service starts. Brings the control plane and the tenant template to each service's latest
 * migration, (re)creates the provisioning procedures, gives every service account its
 * control-plane rights and the list of its tenant-plane rights, then migrates and re-grants every
 * existing tenant schema. Idempotent; concurrent runs take turns on a lock.
 *
 * `services` come from the composition root (a library does not know the services), each with
 * the migrations of the tables it owns. They run service by service in the order given (the
 * catalog's), except that a service runs after those it names in `migrations.after`: a foreign key
 * to another service's table needs that table first (audit's resource_owners references tenants).
 */
export async function migrateDeployment(config: MigratorConfig, services: readonly ServiceData[]): Promise<MigrationReport> {
  const ordered = migrationOrder(services);
  const server = await openMigrationDataSource(config, undefined, []);
  const lock = migrationLock(config);
  try {
    await takeLock(server, lock);
    await expectGrantsReadable(server, config);
    const control = config.controlSchema;
    const template = templateSchemaName(control);
    // The two planes side by side: no migration of one refers to the other's schema (a tenant
    // plane's tables only reference their own schema's), and each plane's services still run in order.
    await Promise.all(
      [
        { schema: control, plane: 'control' as const },
        { schema: template, plane: 'tenant' as const },
      ].map(async ({ schema, plane }) => {
        await server.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(schema)} ${charset}`);
        await migratePlane(server, config, schema, plane, ordered);
      }),
    );
    const ledgerExisted = await tableExists(server, control, ledgerTableOf('control-plane'));
    for (const statement of procedureStatements(control)) await server.query(statement);
    await upgradeGrantsTable(server, control);
    // Upgrading a deployment whose routines kept no ledger: the schemas of its tenants are its own.
    if (!ledgerExisted) {
      await server.query(
        `INSERT IGNORE INTO ${quoteIdentifier(control)}.${ledgerTableOf('control-plane')} (schema_name, created_at)
         SELECT s.SCHEMA_NAME, NOW() FROM information_schema.SCHEMATA s JOIN ${quoteIdentifier(control)}.tenants t ON CONCAT('tenant_', REPLACE(t.id, '-', '_')) = s.SCHEMA_NAME`,
      );
    }
    await writeTenantGrantList(server, control, services, config.accountHosts);
    await grantControlPlane(server, control, services, config.accountHosts);
    await grantProvisioning(server, control, config.accountHosts);
    await grantServiceRoutines(server, control, services, config.accountHosts);
    const tenants = (await server.query(`SELECT id, region FROM ${quoteIdentifier(control)}.tenants WHERE status <> 'PROVISIONING' ORDER BY id`)) as Array<{ id: string; region: string }>;
    const separate = regionsByServer(config.regionServers, config.adminUrl);
    const regionServers: Record<string, string> = Object.fromEntries([...separate].flatMap(([address, regions]) => regions.map((region) => [region, address])));
    const homeTenants = tenants.filter((tenant) => regionServers[tenant.region] === undefined);
    // A schema left on the home server by a region that has a server now would be read by nobody
    // (services look for it on the region's server): stop, rather than migrate around it.
    for (const tenant of tenants.filter((t) => regionServers[t.region] !== undefined)) {
      if (await schemaExists(server, tenantSchemaName(tenant.id))) {
        throw new Error(
          `tenant ${tenant.id} (region ${tenant.region}) has its schema on the home server, but REGION_DATABASES places ${tenant.region} on ${regionServers[tenant.region]}: ` +
            'move the schema there (README, Data residency) or leave the region out of REGION_DATABASES',
        );
      }
    }
    // The control plane's routines read each tenant's tier themselves; a region server's are told it,
    // read from the control plane right before each schema's grants (a tier changed meanwhile is seen).
    const tenantSchemas = await migrateTenantSchemas(server, config, control, homeTenants, ordered, 'control-plane', async () => null);
    const tierOf = async (id: string): Promise<string | null> => {
      const [row] = (await server.query(`SELECT tier FROM ${quoteIdentifier(control)}.tenants WHERE id = ?`, [id])) as Array<{ tier: string }>;
      return row?.tier ?? null;
    };
    const report: MigrationReport = { tenantSchemas, regionServers: {} };
    for (const [address, regions] of separate) {
      const onServer = tenants.filter((tenant) => regions.includes(tenant.region));
      const migrated = await prepareRegionServer({ ...config, adminUrl: databaseUrlOnServer(config.adminUrl, address) }, services, ordered, regions, onServer, tierOf);
      report.regionServers[address] = migrated;
      report.tenantSchemas += migrated;
    }
    return report;
  } finally {
    await server.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => undefined);
    await server.destroy();
  }
}

function migrationLock(config: Pick<MigratorConfig, 'controlSchema'>): string {
  return `tessera:migrate:${config.controlSchema}`.slice(0, 64);
}

async function takeLock(server: DataSource, lock: string): Promise<void> {
  const [row] = (await server.query('SELECT GET_LOCK(?, 300) AS acquired', [lock])) as Array<{ acquired: number }>;
  if (row?.acquired !== 1) throw new Error(`could not take the migration lock ${lock}`);
}

/**
 * The grants and the routines revoke only the table and column rights an account holds, read from
 * mysql.tables_priv and mysql.columns_priv: a migrator that cannot read them is stopped here, with
 * what to run.
 */
async function expectGrantsReadable(server: DataSource, config: Pick<MigratorConfig, 'adminUrl'>): Promise<void> {
  for (const table of ['mysql.tables_priv', 'mysql.columns_priv']) {
    await server.query(`SELECT 1 FROM ${table} LIMIT 0`).catch((error: unknown) => {
      const user = decodeURIComponent(new URL(config.adminUrl).username);
      throw new Error(
        `the migrator account cannot read ${table} (${error instanceof Error ? error.message : String(error)}); as root run: GRANT SELECT ON ${table} TO '${user}'@'<its host>' (README, Database accounts)`,
      );
    });
  }
}

async function schemaExists(server: DataSource, schema: string): Promise<boolean> {
  return ((await server.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema])) as unknown[]).length > 0;
}

async function tableExists(server: DataSource, schema: string, table: string): Promise<boolean> {
  return ((await server.query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [schema, table])) as unknown[]).length > 0;
}

/**
 * Brings each existing schema of `tenants` on `server` to the latest migration and re-grants it
 * (`tierOf`: the tenant's tier to pass the routine, null where it reads the tenants table); returns how many.
 * A schema of a tenant's name that the provisioning routines did not make (not in their ledger) is
 * someone else's: the migrator runs no DDL on it and stops instead.
 */
async function migrateTenantSchemas(
  server: DataSource,
  config: MigratorConfig,
  control: string,
  tenants: ReadonlyArray<{ id: string }>,
  ordered: readonly ServiceData[],
  kind: 'control-plane' | 'region',
  tierOf: (tenantId: string) => Promise<string | null>,
): Promise<number> {
  let migrated = 0;
  for (const { id } of tenants) {
    const schema = tenantSchemaName(id);
    if (!(await schemaExists(server, schema))) continue;
    const inLedger = (await server.query(`SELECT 1 FROM ${quoteIdentifier(control)}.${ledgerTableOf(kind)} WHERE schema_name = ?`, [schema])) as unknown[];
    if (inLedger.length === 0) {
      throw new Error(`tenant ${id}: the schema ${schema} was not made by this deployment's provisioning (not in ${control}.${ledgerTableOf(kind)}); nothing of it was migrated`);
    }
    await migratePlane(server, config, schema, 'tenant', ordered);
    await server.query(`CALL ${quoteIdentifier(control)}.grant_tenant_tables(?, ?)`, [schema, await tierOf(id)]);
    migrated += 1;
  }
  return migrated;
}

/**
 * A region server (REGION_DATABASES) gets what provisioning and the services need there, and no
 * control plane: its anchor schema (named like the control schema: the services' pools open on it)
 * with the regions it serves, which every service account may read (and nothing else of it); the
 * tenant template at every service's latest tenant migration; the provisioning routines (checking
 * their own ledger instead of the tenants table) with the tenants account's EXECUTE; the grant list.
 * Then every existing tenant schema of its regions is migrated and re-granted, as on the home server.
 * The service accounts themselves are created with the server, like the home server's.
 */
async function prepareRegionServer(
  config: MigratorConfig,
  services: readonly ServiceData[],
  ordered: readonly ServiceData[],
  regions: readonly string[],
  tenants: ReadonlyArray<{ id: string }>,
  tierOf: (tenantId: string) => Promise<string | null>,
): Promise<number> {
  const server = await openMigrationDataSource(config, undefined, []).catch((error: unknown) => {
    throw new Error(`REGION_DATABASES: cannot reach the database server of ${regions.join(', ')} as the migrator: ${error instanceof Error ? error.message : String(error)}`);
  });
  const lock = migrationLock(config);
  try {
    await takeLock(server, lock);
    await expectGrantsReadable(server, config);
    const control = config.controlSchema;
    const anchor = quoteIdentifier(control);
    const template = templateSchemaName(control);
    await server.query(`CREATE DATABASE IF NOT EXISTS ${anchor} ${charset}`);
    await server.query(`CREATE TABLE IF NOT EXISTS ${anchor}.${servedRegionsTable} (region VARCHAR(40) NOT NULL PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    for (const region of regions) await server.query(`INSERT IGNORE INTO ${anchor}.${servedRegionsTable} (region) VALUES (?)`, [region]);
    await server.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(template)} ${charset}`);
    await migratePlane(server, config, template, 'tenant', ordered);
    for (const statement of procedureStatements(control, 'region')) await server.query(statement);
    await upgradeGrantsTable(server, control);
    await writeTenantGrantList(server, control, services, config.accountHosts);
    await grantProvisioning(server, control, config.accountHosts);
    for (const { service } of services) {
      for (const host of config.accountHosts) await server.query(`GRANT SELECT ON ${anchor}.${servedRegionsTable} TO '${serviceAccountUser(service)}'@'${host}'`);
    }
    return await migrateTenantSchemas(server, config, control, tenants, ordered, 'region', tierOf);
  } finally {
    await server.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => undefined);
    await server.destroy();
  }
}

/** The tenants service provisions and deprovisions through the procedures: EXECUTE on them, nothing more. */
async function grantProvisioning(admin: DataSource, control: string, hosts: readonly string[]): Promise<void> {
  for (const host of hosts) {
    const to = `'${serviceAccountUser('tenants')}'@'${host}'`;
    for (const name of procedureNames) await admin.query(`GRANT EXECUTE ON PROCEDURE ${quoteIdentifier(control)}.${quoteIdentifier(name)} TO ${to}`);
    for (const name of functionNames) await admin.query(`GRANT EXECUTE ON FUNCTION ${quoteIdentifier(control)}.${quoteIdentifier(name)} TO ${to}`);
  }
}

/** EXECUTE on the routines each service declares (its migrations made them), nothing else. */
async function grantServiceRoutines(admin: DataSource, control: string, services: readonly ServiceData[], hosts: readonly string[]): Promise<void> {
  for (const { service, routines } of services) {
    for (const routine of routines ?? []) {
      for (const host of hosts) await admin.query(`GRANT EXECUTE ON ${routine.kind} ${quoteIdentifier(control)}.${quoteIdentifier(routine.name)} TO '${serviceAccountUser(service)}'@'${host}'`);
    }
  }
}

/** Adopts a schema of the single sequence, then runs each service's pending migrations of `plane`. */
async function migratePlane(server: DataSource, config: MigratorConfig, schema: string, plane: Plane, services: readonly ServiceData[]): Promise<void> {
  await adoptSingleSequenceHistory(server, config, schema, plane, services);
  for (const service of await servicesWithPendingMigrations(server, schema, plane, services)) {
    await migrateServiceSchema(config, schema, service.service, service.migrations[plane]);
  }
}

/**
 * Removes a whole control plane and its template, and every service account's rights on them
 * (test stacks and benchmarks clean up with this). Tenant schemas go first, by deprovisioning.
 */
export async function dropControlPlane(config: MigratorConfig): Promise<void> {
  const servers = [config, ...[...regionsByServer(config.regionServers, config.adminUrl).keys()].map((address) => ({ ...config, adminUrl: databaseUrlOnServer(config.adminUrl, address) }))];
  for (const on of servers) {
    const admin = await openMigrationDataSource(on, undefined, []);
    try {
      // A dropped table's grants outlive it (MariaDB keeps them for a table of that name made later):
      // the control schema's are revoked first. The template's tables are granted to no service
      // (each tenant schema gets its grants from the list when it is made), so there is nothing to
      // revoke there, and revoking every account's rights on each of its tables one by one was most
      // of a test stack's stop.
      await revokeAllServiceAccess(admin, config.controlSchema, serviceNames, config.accountHosts);
      for (const schema of [config.controlSchema, templateSchemaName(config.controlSchema)]) await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(schema)}`);
    } finally {
      await admin.destroy();
    }
  }
}
