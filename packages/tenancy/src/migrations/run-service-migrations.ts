import type { DataSource } from 'typeorm';
import type { MigratorConfig } from '@tessera/config';
import { openMigrationDataSource } from '../database';
import type { Plane, ServiceData, ServiceName } from '../ownership/table-ownership';
import { quoteIdentifier } from '../tenant-id';
import { migrationHistoryTable, type MigrationClass } from './service-migrations';

type MigrationAccess = Pick<MigratorConfig, 'adminUrl' | 'tlsCa'>;

/**
 * Runs one service's migrations of one plane on `schema`, recorded in that service's own history
 * table (each in its own transaction where the server allows; DDL commits implicitly in MySQL).
 * `fake` records them as applied without running them (adopting a schema of the single sequence).
 */
export async function migrateServiceSchema(
  config: MigrationAccess,
  schema: string,
  service: ServiceName,
  migrations: readonly MigrationClass[],
  options: { fake?: boolean } = {},
): Promise<void> {
  if (migrations.length === 0) return;
  const source = await openMigrationDataSource(config, schema, [...migrations], migrationHistoryTable(service));
  try {
    await source.runMigrations({ transaction: 'each', fake: options.fake ?? false });
  } finally {
    await source.destroy();
  }
}

export function migrationNames(migrations: readonly MigrationClass[]): string[] {
  return migrations.map((migration) => new migration().name ?? migration.name);
}

/** Every migration recorded in `schema` by the given services' histories, as `service:name`. */
export async function recordedMigrations(server: DataSource, schema: string, services: readonly ServiceData[]): Promise<Set<string>> {
  const present = new Set(
    ((await server.query("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", [schema])) as Array<{ name: string }>).map((row) => row.name),
  );
  const recorded = services.filter((service) => present.has(migrationHistoryTable(service.service)));
  const applied = new Set<string>();
  if (recorded.length === 0) return applied;
  const union = recorded
    .map((service) => `SELECT '${service.service}' AS service, name FROM ${quoteIdentifier(schema)}.${quoteIdentifier(migrationHistoryTable(service.service))}`)
    .join(' UNION ALL ');
  for (const row of (await server.query(union)) as Array<{ service: string; name: string }>) applied.add(`${row.service}:${row.name}`);
  return applied;
}

/**
 * The services with a migration of `plane` not yet recorded in `schema`, in the order given. One
 * read per schema, so an up-to-date tenant schema costs the migrate step no connection of its own.
 */
export async function servicesWithPendingMigrations(server: DataSource, schema: string, plane: Plane, services: readonly ServiceData[]): Promise<ServiceData[]> {
  const candidates = services.filter((service) => service.migrations[plane].length > 0);
  const applied = await recordedMigrations(server, schema, candidates);
  return candidates.filter((service) => migrationNames(service.migrations[plane]).some((name) => !applied.has(`${service.service}:${name}`)));
}
