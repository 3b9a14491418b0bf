import type { DataSource } from 'typeorm';
import type { MigratorConfig } from '@tessera/config';
import { openMigrationDataSource } from '../database';
import { migrateServiceSchema, servicesWithPendingMigrations } from '../migrations/run-service-migrations';
import { migrationOrder } from '../migrations/service-migrations';
import { adoptSingleSequenceHistory } from '../migrations/single-sequence';
import { serviceNames, type Plane, type ServiceData } from '../ownership/table-ownership';
import { quoteIdentifier, tenantSchemaName } from '../tenant-id';
import { grantControlPlane, revokeAllServiceAccess, serviceAccountUser, writeTenantGrantList } from './service-grants';
import { functionNames, procedureNames, procedureStatements, templateSchemaName } from './tenant-schema-procedures';

export interface MigrationReport {
  /** Existing tenant schemas brought to the latest migration and re-granted. */
  tenantSchemas: number;
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
  const lock = `tessera:migrate:${config.controlSchema}`.slice(0, 64);
  try {
    const [row] = (await server.query('SELECT GET_LOCK(?, 300) AS acquired', [lock])) as Array<{ acquired: number }>;
    if (row?.acquired !== 1) throw new Error(`could not take the migration lock ${lock}`);
    const control = config.controlSchema;
    const template = templateSchemaName(control);
    await server.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(control)} ${charset}`);
    await migratePlane(server, config, control, 'control', ordered);
    await server.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(template)} ${charset}`);
    await migratePlane(server, config, template, 'tenant', ordered);
    for (const statement of procedureStatements(control)) await server.query(statement);
    await writeTenantGrantList(server, control, services, config.accountHosts);
    await grantControlPlane(server, control, services, config.accountHosts);
    await grantProvisioning(server, control, config.accountHosts);
    await grantServiceRoutines(server, control, services, config.accountHosts);
    const tenants = (await server.query(`SELECT id FROM ${quoteIdentifier(control)}.tenants WHERE status <> 'PROVISIONING' ORDER BY id`)) as Array<{ id: string }>;
    let tenantSchemas = 0;
    for (const { id } of tenants) {
      const schema = tenantSchemaName(id);
      const exists = (await server.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema])) as unknown[];
      if (exists.length === 0) continue;
      await migratePlane(server, config, schema, 'tenant', ordered);
      await server.query(`CALL ${quoteIdentifier(control)}.grant_tenant_tables(?)`, [schema]);
      tenantSchemas += 1;
    }
    return { tenantSchemas };
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
  const admin = await openMigrationDataSource(config, undefined, []);
  try {
    for (const schema of [config.controlSchema, templateSchemaName(config.controlSchema)]) {
      await revokeAllServiceAccess(admin, schema, serviceNames, config.accountHosts);
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(schema)}`);
    }
  } finally {
    await admin.destroy();
  }
}
