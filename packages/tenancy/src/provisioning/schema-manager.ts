import type { DataSource } from 'typeorm';
import type { DatabaseConfig } from '@tessera/config';
import { openMigrationDataSource } from '../database';
import { tenantPlaneMigrations } from '../migrations/tenant';
import { controlPlaneMigrations } from '../migrations/control';
import { quoteIdentifier, tenantSchemaName } from '../tenant-id';
import { grantServiceAccess, revokeServiceAccess } from './service-grants';

/**
 * Creates, migrates and drops MySQL schemas. DDL is not transactional in MySQL; callers undo by
 * dropping. Every statement here runs as the migrator account (DATABASE_ADMIN_URL), on a
 * connection opened for the operation and closed after it: the service account (the pool the
 * request path uses) has table-level DML only, and cannot create, drop, or see a schema it holds
 * no grant on. Provisioning is rare, so a connection per operation costs nothing that matters.
 */
export class SchemaManager {
  constructor(
    // The service pool is not used for DDL; kept so callers build a SchemaManager as before.
    _db: DataSource,
    private readonly config: DatabaseConfig,
  ) {}

  async schemaExists(schema: string): Promise<boolean> {
    return withAdmin(this.config, async (admin) => {
      const rows = (await admin.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema])) as unknown[];
      return rows.length > 0;
    });
  }

  async createTenantSchema(tenantId: string): Promise<void> {
    const schema = tenantSchemaName(tenantId);
    await withAdmin(this.config, (admin) =>
      admin.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(schema)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`),
    );
    await migrateSchema(this.config, schema, tenantPlaneMigrations);
  }

  /** Brings an existing tenant schema to the latest migration and re-applies the service grants. */
  async upgradeTenantSchema(tenantId: string): Promise<void> {
    await migrateSchema(this.config, tenantSchemaName(tenantId), tenantPlaneMigrations);
  }

  async dropTenantSchema(tenantId: string): Promise<void> {
    await dropSchema(this.config, tenantSchemaName(tenantId));
  }
}

async function withAdmin<T>(config: DatabaseConfig, fn: (admin: DataSource) => Promise<T>): Promise<T> {
  const admin = await openMigrationDataSource(config, undefined, []);
  try {
    return await fn(admin);
  } finally {
    await admin.destroy();
  }
}

/** Migrates `schema`, then grants the service account its table rights (every table, new ones included). */
async function migrateSchema(config: DatabaseConfig, schema: string, migrations: Function[]): Promise<void> {
  const source = await openMigrationDataSource(config, schema, migrations);
  try {
    await source.runMigrations({ transaction: 'each' });
    await grantServiceAccess(source, config, schema);
  } finally {
    await source.destroy();
  }
}

/** Revokes the service account's grants on `schema` (MySQL keeps them past a DROP), then drops it. */
async function dropSchema(config: DatabaseConfig, schema: string): Promise<void> {
  await withAdmin(config, async (admin) => {
    await revokeServiceAccess(admin, config, schema);
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(schema)}`);
  });
}

/** Creates the control-plane schema if needed and brings it to the latest migration. Run at start-up. */
export async function migrateControlPlane(config: DatabaseConfig): Promise<void> {
  const server = await openMigrationDataSource(config, undefined, []);
  // Every service runs this at start-up; the lock makes concurrent start-ups take turns.
  const lock = `tessera:migrate:${config.controlSchema}`;
  try {
    const [row] = (await server.query('SELECT GET_LOCK(?, 120) AS acquired', [lock])) as Array<{ acquired: number }>;
    if (row?.acquired !== 1) throw new Error(`could not take the control-plane migration lock ${lock}`);
    await server.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(config.controlSchema)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await migrateSchema(config, config.controlSchema, controlPlaneMigrations);
  } finally {
    await server.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => undefined);
    await server.destroy();
  }
}

/**
 * Brings every existing tenant schema to the latest tenant migration and re-applies the service
 * account's table grants (new tables, and tables that became append-only). Run at start-up by
 * the process that provisions (the tenants service, or the single-process platform); tenants
 * provisioned later are migrated at provisioning. Returns how many schemas it visited.
 */
export async function upgradeTenantSchemas(config: DatabaseConfig): Promise<number> {
  const server = await openMigrationDataSource(config, undefined, []);
  const lock = `tessera:migrate-tenants:${config.controlSchema}`.slice(0, 64);
  try {
    const [row] = (await server.query('SELECT GET_LOCK(?, 300) AS acquired', [lock])) as Array<{ acquired: number }>;
    if (row?.acquired !== 1) throw new Error(`could not take the tenant migration lock ${lock}`);
    const tenants = (await server.query(`SELECT id FROM ${quoteIdentifier(config.controlSchema)}.tenants WHERE status <> 'PROVISIONING' ORDER BY id`)) as Array<{ id: string }>;
    let visited = 0;
    for (const { id } of tenants) {
      const schema = tenantSchemaName(id);
      const exists = (await server.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema])) as unknown[];
      if (exists.length === 0) continue;
      await migrateSchema(config, schema, tenantPlaneMigrations);
      visited += 1;
    }
    return visited;
  } finally {
    await server.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => undefined);
    await server.destroy();
  }
}

/** Removes a whole control plane (test stacks and benchmarks clean up with this); grants first. */
export async function dropControlPlane(config: DatabaseConfig): Promise<void> {
  await dropSchema(config, config.controlSchema);
}
