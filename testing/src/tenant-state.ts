import type { TestStack, TestTenant } from './test-stack';

export interface TenantState {
  rows: Record<string, number>;
  objects: string[];
}

const tenantTables = ['datasets', 'dataset_versions', 'dataset_uploads', 'models', 'jobs'] as const;

/**
 * Everything a tenant holds, as counts per table and the list of object keys in its bucket:
 * take one before and one after a bad request and assert they are equal ("changes nothing").
 */
export async function tenantState(stack: TestStack, tenant: TestTenant, tables: readonly string[] = tenantTables): Promise<TenantState> {
  const rows: Record<string, number> = {};
  for (const table of tables) {
    const result = (await stack.platform.runtime.db.query(`SELECT COUNT(*) AS n FROM \`${tenant.schema}\`.\`${table}\``)) as Array<{ n: number | string }>;
    rows[table] = Number(result[0]?.n ?? 0);
  }
  const objects: string[] = [];
  for await (const item of stack.platform.runtime.objectStore.listObjectsV2(tenant.bucket, '', true)) if (item.name) objects.push(item.name);
  return { rows, objects: objects.sort() };
}
