import type { ServiceMigrations } from '../migrations/service-migrations';

/**
 * Who may do what to which table. Each service declares the tables it owns (their access class
 * for the owner, and what the owner publishes to named other services: a write-in port such as
 * the audit outbox, or a read port such as the tenant directory) and the tables it still borrows
 * from other services. The migrator turns these declarations into table-level grants, one
 * database account per service, so a service's account can do nothing the declarations do not say.
 */

/** Every process with its own database account. */
export const serviceNames = ['gateway', 'datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants', 'workers'] as const;
export type ServiceName = (typeof serviceNames)[number];

/**
 * Every service that serves requests: all but the workers. A worker runs tenants' jobs from one
 * shared account (the shared pool's spans every shared-tier tenant), so it holds no right in any
 * tenant's schema: what a run does is recorded by the owners it calls through the job ports (its
 * run time metered by the jobs service, capped by the run's wall time). A tenant-plane table
 * published to every service that meters or audits is published to these.
 */
export const requestServingServices: readonly ServiceName[] = serviceNames.filter((name) => name !== 'workers');

/** Tenant plane: a copy in every tenant schema. Control plane: one copy in the control schema. */
export type Plane = 'tenant' | 'control';

export const dmlPrivileges = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
export type Privilege = (typeof dmlPrivileges)[number];

/**
 * The owner's own rights on a table: read-write (ordinary data), append-only (history: rows are
 * never changed or removed once written), read-only (written by nobody but the migrator).
 */
export type TableAccess = 'read-write' | 'append-only' | 'read-only';

export const accessPrivileges: Record<TableAccess, readonly Privilege[]> = {
  'read-write': ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  'append-only': ['SELECT', 'INSERT'],
  'read-only': ['SELECT'],
};

/** Rights the owner publishes on one of its tables to other services (a port, not a loan). */
export interface PublishedRights {
  to: readonly ServiceName[] | 'every service';
  privileges: readonly Privilege[];
  /**
   * INSERT on these columns only (a column-level grant; the others take their defaults), given
   * besides `privileges`. For a column whose value the database sets and no writer may choose,
   * such as the account that wrote an audit event.
   */
  insertColumns?: readonly string[];
  /** What the others use it for. */
  why: string;
}

export interface OwnedTable {
  table: string;
  plane: Plane;
  access: TableAccess;
  publishedTo?: readonly PublishedRights[];
}

/**
 * A table of another service that this one still reads or writes directly. Each entry is a debt:
 * it goes away when the owner publishes a port for what the borrower needs.
 */
export interface BorrowedTable {
  table: string;
  plane: Plane;
  privileges: readonly Privilege[];
  why: string;
}

export interface ServiceRoutine {
  name: string;
  plane: 'control';
  kind: 'PROCEDURE' | 'FUNCTION';
}

/** A service's data: what it owns, what it borrows, and the migrations that make what it owns. */
export interface ServiceData {
  service: ServiceName;
  owns: readonly OwnedTable[];
  borrows: readonly BorrowedTable[];
  /**
   * Definer routines its migrations create that its account may EXECUTE: a narrow, audited way to
   * do what its table rights do not allow (e.g. the audit service's one rewrite of a chained row).
   */
  routines?: readonly ServiceRoutine[];
  /** They create and change exactly the tables in `owns` (test/service-migrations.test.ts checks it). */
  migrations: ServiceMigrations;
}

/**
 * One table's grant: `privileges` on `table` (in every schema of `plane`) to `service`, and INSERT
 * on `insertColumns` only where the service holds no table-level INSERT (empty otherwise).
 */
export interface TableGrant {
  service: ServiceName;
  plane: Plane;
  table: string;
  privileges: Privilege[];
  insertColumns: string[];
}

/**
 * The grants the declarations add up to, one per (service, plane, table), privileges in a fixed
 * order. Throws when two services claim the same table or a borrowed table has no owner, so a
 * declaration error stops the migrate step instead of leaving a service without its rights.
 */
export function tableGrants(services: readonly ServiceData[]): TableGrant[] {
  const owners = new Map<string, ServiceName>();
  for (const { service, owns } of services) {
    for (const { table, plane } of owns) {
      const key = `${plane}:${table}`;
      const owner = owners.get(key);
      if (owner) throw new Error(`${plane} table ${table} is claimed by both ${owner} and ${service}`);
      owners.set(key, service);
    }
  }
  const all = services.map((s) => s.service);
  const rights = new Map<string, Set<Privilege>>();
  const columnInserts = new Map<string, Set<string>>();
  const add = (service: ServiceName, plane: Plane, table: string, privileges: readonly Privilege[], insertColumns: readonly string[] = []) => {
    const key = `${service}|${plane}|${table}`;
    const set = rights.get(key) ?? new Set<Privilege>();
    for (const privilege of privileges) set.add(privilege);
    rights.set(key, set);
    if (insertColumns.length > 0) {
      const columns = columnInserts.get(key) ?? new Set<string>();
      for (const column of insertColumns) {
        if (!/^[a-z_][a-z0-9_]*$/.test(column)) throw new Error(`${plane} table ${table}: ${column} is not a column name`);
        columns.add(column);
      }
      columnInserts.set(key, columns);
    }
  };
  for (const { service, owns, borrows } of services) {
    for (const owned of owns) {
      add(service, owned.plane, owned.table, accessPrivileges[owned.access]);
      for (const published of owned.publishedTo ?? []) {
        for (const other of published.to === 'every service' ? all : published.to) {
          if (other !== service) add(other, owned.plane, owned.table, published.privileges, published.insertColumns);
        }
      }
    }
    for (const borrowed of borrows) {
      const owner = owners.get(`${borrowed.plane}:${borrowed.table}`);
      if (!owner) throw new Error(`${service} borrows ${borrowed.plane} table ${borrowed.table}, which no service owns`);
      if (owner === service) throw new Error(`${service} borrows its own table ${borrowed.table}`);
      add(service, borrowed.plane, borrowed.table, borrowed.privileges);
    }
  }
  return [...rights.entries()]
    .map(([key, set]) => {
      const [service, plane, table] = key.split('|') as [ServiceName, Plane, string];
      // A table-level INSERT covers every column: a column-level one beside it would add nothing.
      const insertColumns = set.has('INSERT') ? [] : [...(columnInserts.get(key) ?? [])].sort();
      return { service, plane, table, privileges: dmlPrivileges.filter((p) => set.has(p)), insertColumns };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || a.plane.localeCompare(b.plane) || a.table.localeCompare(b.table));
}

/** The owner of each table of a plane (tests compare it with the tables the migrations create). */
export function ownersOf(services: readonly ServiceData[], plane: Plane): Map<string, ServiceName> {
  const owners = new Map<string, ServiceName>();
  for (const { service, owns } of services) for (const owned of owns) if (owned.plane === plane) owners.set(owned.table, service);
  return owners;
}
