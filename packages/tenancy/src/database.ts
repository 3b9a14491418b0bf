import { DataSource, type DataSourceOptions, type EntitySchema, type MixedList } from 'typeorm';
import { ConfigError, databaseServerOf, normalizeDatabaseServer, type DatabaseConfig, type MigratorConfig } from '@tessera/config';
import { attachRegionDatabases, regionServerPools } from './tenant-databases';
import { quoteIdentifier } from './tenant-id';

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

/** `url` with its host and port replaced by `server` (`host:port`): the same account on another server. */
export function databaseUrlOnServer(url: string, server: string): string {
  const parsed = new URL(url);
  const [host, port] = server.split(':');
  parsed.hostname = host!;
  parsed.port = port ?? '3306';
  return parsed.toString();
}

/**
 * region → server grouped as server → its regions (several regions may share one server), leaving
 * out a region that names `homeUrl`'s server: its schemas are on the home server.
 */
export function regionsByServer(regionServers: Readonly<Record<string, string>> | undefined, homeUrl: string): Map<string, string[]> {
  const home = databaseServerOf(homeUrl);
  const servers = new Map<string, string[]>();
  for (const [region, server] of Object.entries(regionServers ?? {})) {
    const named = normalizeDatabaseServer(server);
    if (named !== home) servers.set(named, [...(servers.get(named) ?? []), region]);
  }
  return servers;
}

/**
 * A region server's anchor: a schema named like the control schema that holds no control-plane
 * table, only what the migrate step keeps there (the regions it prepared the server for, the
 * provisioning routines and their grant list). Service pools use it as their default schema, as
 * home pools use the control schema: a connection between tenants points at it.
 */
export const servedRegionsTable = 'served_regions';

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
 * For an account that exists on fewer servers than the services' (a dedicated tenant's workers: the
 * home server and its tenant's region's): which regions' servers to open, decided on the opened home
 * pool, and where the routes read tenants' regions (a table or view of the control schema).
 */
export interface ServiceDataSourceOptions {
  regions?: ((home: DataSource) => Promise<readonly string[]>) | undefined;
  directorySource?: string | undefined;
}

/**
 * The service's single connection pool. Its default schema is the control plane; tenant
 * data is reached only through a TenantScope, which switches a checked-out connection to the
 * tenant's schema and back. One pool for all tenants: 1 000 tenants never means 1 000 pools.
 */
export async function openServiceDataSource(config: DatabaseConfig, entities: MixedList<EntitySchema>, only: ServiceDataSourceOptions = {}): Promise<DataSource> {
  const options: DataSourceOptions = {
    ...baseOptions(config.url, config.tlsCa),
    database: config.controlSchema,
    entities,
    poolSize: config.poolSize,
  };
  const home = await new ServiceDataSource(options).initialize();
  const byRegion = new Map<string, DataSource>();
  try {
    const wanted = only.regions ? new Set(await only.regions(home)) : undefined;
    const regionServers = wanted ? Object.fromEntries(Object.entries(config.regionServers ?? {}).filter(([region]) => wanted.has(region))) : config.regionServers;
    for (const [server, regions] of regionsByServer(regionServers, config.url)) {
      const pool = await openRegionPool(config, entities, server, regions);
      for (const region of regions) byRegion.set(region, pool);
      // Registered one by one, so a later server that fails closes the ones opened before it.
      attachRegionDatabases(home, config.controlSchema, byRegion, only.directorySource);
    }
  } catch (error) {
    await home.destroy();
    throw error;
  }
  return home;
}

/** The home pool: closing it closes its region servers' pools too, so owners keep closing one pool. */
class ServiceDataSource extends DataSource {
  override async destroy(): Promise<void> {
    for (const pool of regionServerPools(this)) if (pool.isInitialized) await pool.destroy();
    await super.destroy();
  }
}

/**
 * The pool of one region server, as the same account over TLS with the same CA, checked at start:
 * a server that cannot be reached, or that the migrate step did not prepare for these regions,
 * stops the service with a message naming REGION_DATABASES, rather than failing a request later.
 */
async function openRegionPool(config: DatabaseConfig, entities: MixedList<EntitySchema>, server: string, regions: readonly string[]): Promise<DataSource> {
  const named = `REGION_DATABASES: the database server of ${regions.join(', ')} (${server})`;
  let pool: DataSource;
  try {
    pool = await new DataSource({ ...baseOptions(databaseUrlOnServer(config.url, server), config.tlsCa), database: config.controlSchema, entities, poolSize: config.poolSize, connectTimeout: 10_000 }).initialize();
  } catch (error) {
    const { errno, code, message } = error as { errno?: number; code?: string; message?: string };
    if (errno === 1049 || errno === 1044) throw new ConfigError([`${named} has no ${config.controlSchema} schema this account may use: run \`tessera migrate\` with the same REGION_DATABASES first`]);
    if (errno === 1045) throw new ConfigError([`${named} refuses this service's account (${new URL(config.url).username}): every region server needs the same service accounts as the home server`]);
    throw new ConfigError([`${named} cannot be reached: ${code ?? message ?? String(error)}`]);
  }
  try {
    const rows = (await pool.query(`SELECT region FROM ${quoteIdentifier(config.controlSchema)}.${servedRegionsTable}`)) as Array<{ region: string }>;
    const prepared = new Set(rows.map((row) => row.region));
    const missing = regions.filter((region) => !prepared.has(region));
    if (missing.length > 0) throw new ConfigError([`${named} was not prepared by \`tessera migrate\` for ${missing.join(', ')}: run it with the same REGION_DATABASES first`]);
  } catch (error) {
    await pool.destroy();
    throw error instanceof ConfigError ? error : new ConfigError([`${named} cannot be read: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return pool;
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
