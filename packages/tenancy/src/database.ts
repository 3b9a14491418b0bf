import { DataSource, type DataSourceOptions, type EntitySchema, type MixedList } from 'typeorm';
import type { DatabaseConfig, MigratorConfig } from '@tessera/config';

export interface ServerAddress {
  host: string;
  port: number;
  username: string;
  password: string;
}

/** DATABASE_URL names the server and the app's credentials; Tessera manages the schemas itself. */
export function parseDatabaseUrl(url: string): ServerAddress {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

/**
 * The TLS options of a mysql2 connection (TypeORM passes `ssl` through): with a CA, the session is
 * encrypted and the server's certificate must chain to that CA and name the host connected to
 * (127.0.0.1, localhost and `mysql` are in the local server's certificate). Without one, plain
 * text, which the Tessera accounts refuse (REQUIRE SSL).
 */
export function databaseTlsOptions(ca: string | undefined): { ssl?: { ca: string; rejectUnauthorized: true } } {
  return ca ? { ssl: { ca, rejectUnauthorized: true } } : {};
}

function baseOptions(url: string, tlsCa: string | undefined) {
  return {
    type: 'mysql' as const,
    ...parseDatabaseUrl(url),
    ...databaseTlsOptions(tlsCa),
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    supportBigNumbers: true,
    bigNumberStrings: false,
    logging: false,
  };
}

/**
 * The service's single connection pool. Its default schema is the control plane; tenant
 * data is reached only through a TenantScope, which switches a checked-out connection to the
 * tenant's schema and back. One pool for all tenants: 1 000 tenants never means 1 000 pools.
 */
export async function openServiceDataSource(config: DatabaseConfig, entities: MixedList<EntitySchema>): Promise<DataSource> {
  const options: DataSourceOptions = {
    ...baseOptions(config.url, config.tlsCa),
    database: config.controlSchema,
    entities,
    poolSize: config.poolSize,
  };
  return new DataSource(options).initialize();
}

/**
 * A short-lived, single-connection data source as the migrator account (DATABASE_ADMIN_URL), for
 * running one service's migrations on one schema (recorded in `historyTable`), or (schema
 * undefined, no migrations) for DDL and grants. Only the migrate step (and test set-up) opens one.
 */
export async function openMigrationDataSource(
  config: Pick<MigratorConfig, 'adminUrl' | 'tlsCa'>,
  schema: string | undefined,
  migrations: DataSourceOptions['migrations'],
  historyTable?: string,
): Promise<DataSource> {
  return new DataSource({
    ...baseOptions(config.adminUrl, config.tlsCa),
    ...(schema ? { database: schema } : {}),
    migrations,
    ...(historyTable ? { migrationsTableName: historyTable } : {}),
    poolSize: 1,
  }).initialize();
}
