import type { EntityManager } from 'typeorm';
import { controlPlaneQueryable } from '@tessera/tenancy';

/**
 * The control-plane schema of the pool `manager` belongs to. Every service pool is opened with the
 * control plane as its default database (tenant schemas are entered with USE), so the pool's own
 * options name it; reading it here keeps callers from passing it around.
 */
export function controlSchemaOf(manager: EntityManager): string {
  const database = (manager.connection.options as { database?: unknown }).database;
  if (typeof database !== 'string' || !/^[A-Za-z0-9_]+$/.test(database)) throw new Error('the service pool names no control-plane schema');
  return database;
}

export function controlTable(manager: EntityManager, table: string): string {
  return `\`${controlSchemaOf(manager)}\`.\`${table}\``;
}

/**
 * Indexes which tenant owns `id`, in the control plane, inside the transaction that creates the
 * thing (the tenant schema is the connection's current schema; the control table is named in
 * full). Only ids and types are stored: the index says "another tenant's", never what it is.
 * A retry of the same creation keeps the first owner. For a tenant on a region server
 * (REGION_DATABASES) the control plane is on another server: the row is written there at once,
 * outside the tenant's transaction; if that transaction then fails, the id stays indexed as the
 * tenant's, which only means a later probe of that unused id is recorded as cross-tenant.
 */
export async function recordResourceOwner(manager: EntityManager, tenantId: string, targetType: string, id: string): Promise<void> {
  await controlPlaneQueryable(manager).query(
    `INSERT INTO ${controlTable(manager, 'resource_owners')} (resource_id, target_type, tenant_id, created_at)
     VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE tenant_id = tenant_id`,
    [id, targetType, tenantId, new Date()],
  );
}

/** The owning tenant of `id`, or undefined when no tenant owns it (never existed, or erased). */
export async function findResourceOwner(manager: EntityManager, targetType: string, id: string): Promise<string | undefined> {
  const rows = (await controlPlaneQueryable(manager).query(`SELECT tenant_id FROM ${controlTable(manager, 'resource_owners')} WHERE resource_id = ? AND target_type = ?`, [
    id,
    targetType,
  ])) as Array<{ tenant_id: string }>;
  return rows[0]?.tenant_id;
}
