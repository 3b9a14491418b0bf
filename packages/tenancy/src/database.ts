import { DataSource, type DataSourceOptions, type EntitySchema, type MixedList } from 'typeorm';
import type { DatabaseConfig } from '@tessera/config';

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

function baseOptions(url: string) {
  return {
    type: 'mysql' as const,
    ...parseDatabaseUrl(url),
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
    ...baseOptions(config.url),
    database: config.controlSchema,
    entities,
    poolSize: config.poolSize,
  };
  return new DataSource(options).initialize();
}

/**
 * A short-lived, single-connection data source as the migrator account (DATABASE_ADMIN_URL), for
 * running migrations on one schema, or (schema undefined, no migrations) for DDL and grants.
 */
export async function openMigrationDataSource(
  config: DatabaseConfig,
  schema: string | undefined,
  migrations: DataSourceOptions['migrations'],
): Promise<DataSource> {
  return new DataSource({
    ...baseOptions(config.adminUrl),
    ...(schema ? { database: schema } : {}),
    migrations,
    migrationsTableName: 'schema_migrations',
    poolSize: 1,
  }).initialize();
}

const serviceAccounts = new Map<string, Promise<string>>();

/**
 * The MySQL account the service's connections are authenticated as, quoted for GRANT/REVOKE
 * (e.g. `'tessera'@'localhost'`). Asked of the server (CURRENT_USER() over a connection made with
 * DATABASE_URL) rather than guessed from the URL, because the host part of the account that
 * matches depends on how the server sees the client. Cached per URL.
 */
export function serviceAccountOf(config: DatabaseConfig): Promise<string> {
  let account = serviceAccounts.get(config.url);
  if (!account) {
    account = (async () => {
      const source = await new DataSource({ ...baseOptions(config.url), poolSize: 1 }).initialize();
      try {
        const [row] = (await source.query('SELECT CURRENT_USER() AS account')) as Array<{ account: string }>;
        const match = /^([A-Za-z0-9_.-]+)@([A-Za-z0-9_.%:-]+)$/.exec(row?.account ?? '');
        if (!match) throw new Error(`unexpected service account name ${JSON.stringify(row?.account)}`);
        return `'${match[1]}'@'${match[2]}'`;
      } finally {
        await source.destroy();
      }
    })();
    account.catch(() => serviceAccounts.delete(config.url));
    serviceAccounts.set(config.url, account);
  }
  return account;
}
