import type { DataSource, EntityManager } from 'typeorm';
import { quoteIdentifier } from './tenant-id';

/**
 * Data residency for rows: which pool holds a tenant's schema. A service opens one pool on the
 * home server (DATABASE_URL: the control plane, and the tenant schemas of the regions without a
 * server of their own) and one per other database server (REGION_DATABASES), each still one pool
 * for all of that server's tenants. The routes hang off the home pool, so every function that is
 * handed "the service's pool" and a tenant id (`(db, tenantId)` is how the libraries reach a
 * tenant's schema outside a TenantScope) finds the tenant's own server without a new parameter,
 * and a process without REGION_DATABASES behaves exactly as before (no route: the pool itself).
 */
interface Routes {
  controlSchema: string;
  /** Region → the pool of its server, for the regions not on the home server. */
  byRegion: ReadonlyMap<string, DataSource>;
  /** Each region server's pool once (several regions may share a server). */
  servers: readonly DataSource[];
  /** Tenant → region, briefly: the region only changes by the offline runbook, which restarts services. */
  regions: Map<string, { region: string | undefined; until: number }>;
  /** Where a tenant's region is read: `tenants`, or a dedicated worker account's directory view. */
  directorySource: string;
}

const routesOfHome = new WeakMap<DataSource, Routes>();
const homeOfRegional = new WeakMap<DataSource, DataSource>();

const regionCacheMs = 30_000;

/** Registers `byRegion`'s pools as the region servers of `home` (openServiceDataSource does this). */
export function attachRegionDatabases(home: DataSource, controlSchema: string, byRegion: ReadonlyMap<string, DataSource>, directorySource = 'tenants'): void {
  const servers = [...new Set(byRegion.values())];
  for (const pool of servers) homeOfRegional.set(pool, home);
  routesOfHome.set(home, { controlSchema, byRegion, servers, regions: new Map(), directorySource });
}

/** The pools of the region servers `home` routes to (none without REGION_DATABASES). */
export function regionServerPools(db: DataSource): readonly DataSource[] {
  return routesOfHome.get(db)?.servers ?? [];
}

/**
 * The pool holding the schemas of `region`'s tenants. A region without a server of its own is on
 * the home server; `db` not a home pool with routes (a region pool, or a process without
 * REGION_DATABASES): `db` itself.
 */
export function regionDatabase(db: DataSource, region: string): DataSource {
  return routesOfHome.get(db)?.byRegion.get(region) ?? db;
}

/** The pool holding `tenantId`'s schema, the tenant's region read from the control plane (cached briefly). */
export async function tenantDatabase(db: DataSource, tenantId: string): Promise<DataSource> {
  const routes = routesOfHome.get(db);
  if (!routes || routes.byRegion.size === 0) return db;
  const region = await regionOf(db, routes, tenantId);
  return region === undefined ? db : regionDatabase(db, region);
}

/**
 * For functions handed "anything that runs SQL" and a tenant id: a service's home pool is routed
 * to the tenant's server; a manager or a region pool (already where the caller put it) is kept.
 */
export async function tenantQueryTarget<Q extends object>(queryable: Q, tenantId: string): Promise<Q | DataSource> {
  return routesOfHome.has(queryable as unknown as DataSource) ? tenantDatabase(queryable as unknown as DataSource, tenantId) : queryable;
}

/**
 * `tenantIds` grouped by the pool holding their schemas (order kept within a group): sweeps that
 * ask many tenants per statement ask each server about its own tenants only.
 */
export async function tenantsByDatabase(db: DataSource, tenantIds: readonly string[]): Promise<Array<{ db: DataSource; tenantIds: string[] }>> {
  const groups = new Map<DataSource, string[]>();
  for (const tenantId of tenantIds) {
    const pool = await tenantDatabase(db, tenantId);
    const group = groups.get(pool);
    if (group) group.push(tenantId);
    else groups.set(pool, [tenantId]);
  }
  return [...groups].map(([pool, ids]) => ({ db: pool, tenantIds: ids }));
}

/**
 * The control plane's pool for a connection of a region server's pool, or undefined when the
 * connection is already on the home server. Control-plane rows a tenant-schema transaction writes
 * (resource owners, the platform security log) then go to the home server, outside that
 * transaction: one transaction cannot span two servers.
 */
export function controlPlaneDatabase(db: DataSource): DataSource | undefined {
  return homeOfRegional.get(db);
}

/** `manager` itself when its pool is on the control plane's server; otherwise the home pool. */
export function controlPlaneQueryable(manager: EntityManager): EntityManager | DataSource {
  return controlPlaneDatabase(manager.connection) ?? manager;
}

/**
 * Where to write into `tenantId`'s schema from `manager`: the manager itself when its connection is
 * on the tenant's server (in its transaction), else the tenant's server's pool (its own statement).
 */
export async function tenantQueryable(manager: EntityManager, tenantId: string): Promise<EntityManager | DataSource> {
  const pool = await tenantDatabase(manager.connection, tenantId);
  return pool === manager.connection ? manager : pool;
}

async function regionOf(home: DataSource, routes: Routes, tenantId: string): Promise<string | undefined> {
  const hit = routes.regions.get(tenantId);
  if (hit && hit.until > Date.now()) return hit.region;
  const rows = (await home.query(`SELECT region FROM ${quoteIdentifier(routes.controlSchema)}.${quoteIdentifier(routes.directorySource)} WHERE id = ?`, [tenantId])) as Array<{ region: string }>;
  const region = rows[0]?.region;
  // An unknown tenant is not remembered: it may be provisioned a moment later.
  if (region !== undefined) routes.regions.set(tenantId, { region, until: Date.now() + regionCacheMs });
  return region;
}
