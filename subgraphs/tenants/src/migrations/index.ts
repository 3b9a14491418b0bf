import type { ServiceMigrations } from '@tessera/tenancy';
import { TenantsTables1765000000001 } from './control/0001-tenants-tables';

/** The tenants service's migrations: its control-plane tables (it has none in tenant schemas). */
export const tenantsMigrations: ServiceMigrations = {
  tenant: [],
  control: [TenantsTables1765000000001],
};
