import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { ServiceName } from '../ownership/table-ownership';

/** A TypeORM migration class (its name ends in a 13-digit timestamp, as TypeORM requires). */
export type MigrationClass = new () => MigrationInterface;

/**
 * The migrations of one service, which create and change only the tables it owns. Each service
 * keeps its own history table in each schema (`migrationHistoryTable`), so services version their
 * tables independently: a new migration of one never renumbers or waits for another's.
 */
export interface ServiceMigrations {
  /** Run in order on the tenant template and every existing tenant schema. */
  tenant: readonly MigrationClass[];
  /** Run in order on the control schema. */
  control: readonly MigrationClass[];
  /**
   * Services whose tables this service's migrations reference (foreign keys): they are migrated
   * first. Otherwise services migrate in catalog order.
   */
  after?: readonly ServiceName[];
}

export const noMigrations: ServiceMigrations = { tenant: [], control: [] };

/** Where a service's migration history lives in each schema it has migrations for. */
export function migrationHistoryTable(service: ServiceName): string {
  return `schema_migrations_${service}`;
}

/** True for a history table of some service (the migrator's alone: no service account gets a right on it). */
export function isMigrationHistoryTable(table: string): boolean {
  return /^schema_migrations_[a-z]+$/.test(table);
}

/**
 * A service's first migration: its tables exactly as the single migration sequence of earlier
 * releases (one history, `schema_migrations`, shared by every service) left them. A schema that
 * sequence migrated to its end already holds them, so adopting it records these as applied
 * instead of running them (see single-sequence.ts). A service added later starts with an ordinary
 * migration, never with one of these.
 */
export abstract class SingleSequenceBaseline implements MigrationInterface {
  abstract readonly name: string;
  abstract up(queryRunner: QueryRunner): Promise<void>;
  abstract down(queryRunner: QueryRunner): Promise<void>;
}

export function isSingleSequenceBaseline(migration: MigrationClass): boolean {
  return migration.prototype instanceof SingleSequenceBaseline;
}

/**
 * The order services are migrated in: catalog order, except that a service comes after those its
 * migrations name in `after`. Throws on a name no service has and on a cycle, so a bad declaration
 * stops the migrate step before it changes anything.
 */
export function migrationOrder<S extends { service: ServiceName; migrations: ServiceMigrations }>(services: readonly S[]): S[] {
  const byName = new Map(services.map((service) => [service.service, service]));
  const ordered: S[] = [];
  const state = new Map<ServiceName, 'visiting' | 'done'>();
  const visit = (service: S, path: readonly ServiceName[]): void => {
    const seen = state.get(service.service);
    if (seen === 'done') return;
    if (seen === 'visiting') throw new Error(`migration order has a cycle: ${[...path, service.service].join(' → ')}`);
    state.set(service.service, 'visiting');
    for (const name of service.migrations.after ?? []) {
      const first = byName.get(name);
      if (!first) throw new Error(`${service.service} migrates after ${name}, which is not a service of this deployment`);
      visit(first, [...path, service.service]);
    }
    state.set(service.service, 'done');
    ordered.push(service);
  };
  for (const service of services) visit(service, []);
  return ordered;
}
