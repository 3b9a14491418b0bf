import type { DataSource } from 'typeorm';
import type { DatabaseConfig } from '@tessera/config';
import { openMigrationDataSource } from '../database';
import { tenantPlaneMigrations } from '../migrations/tenant';
import { controlPlaneMigrations } from '../migrations/control';
import { quoteIdentifier, tenantSchemaName } from '../tenant-id';

/** Creates, migrates and drops MySQL schemas. DDL is not transactional in MySQL; callers undo by dropping. */
export class SchemaManager {
  constructor(
    private readonly db: DataSource,
    private readonly config: DatabaseConfig,
  ) {}

  async schemaExists(schema: string): Promise<boolean> {
    const rows = (await this.db.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schema])) as unknown[];
    return rows.length > 0;
  }

  async createTenantSchema(tenantId: string): Promise<void> {
    const schema = tenantSchemaName(tenantId);
    await this.db.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(schema)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await migrateSchema(this.config, schema, tenantPlaneMigrations);
  }

  async dropTenantSchema(tenantId: string): Promise<void> {
    await this.db.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(tenantSchemaName(tenantId))}`);
  }
}

async function migrateSchema(config: DatabaseConfig, schema: string, migrations: Function[]): Promise<void> {
  const source = await openMigrationDataSource(config, schema, migrations);
  try {
    await source.runMigrations({ transaction: 'each' });
  } finally {
    await source.destroy();
  }
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
