import { openServiceDataSource, quoteIdentifier } from '@tessera/tenancy';
import type { TestStack, TestTenant } from './test-stack';

/**
 * Write-locks one of the tenant's tables, on a connection of its own (the migrator account), until
 * the returned function is called (once; later calls do nothing). Every statement of the services
 * on that table waits meanwhile, holding its connection: how a test makes a tenant's reads slow
 * for as long as it needs without timing anything.
 */
export async function lockTenantTable(stack: TestStack, tenant: TestTenant, table: string): Promise<() => Promise<void>> {
  const source = await openServiceDataSource({ url: stack.migrator.adminUrl, controlSchema: stack.migrator.controlSchema, poolSize: 1, tlsCa: stack.migrator.tlsCa }, []);
  await source.query(`LOCK TABLES ${quoteIdentifier(tenant.schema)}.${quoteIdentifier(table)} WRITE`);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await source.query('UNLOCK TABLES');
    await source.destroy();
  };
}
