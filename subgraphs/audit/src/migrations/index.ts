import type { ServiceMigrations } from '@tessera/tenancy';
import { SecurityLogTables1765000000001 } from './control/0001-security-log-tables';
import { AuditTables1765000000001 } from './tenant/0001-audit-tables';

/** The audit service's migrations: a tenant's audit trail and alerting, and the platform security log. */
export const auditMigrations: ServiceMigrations = {
  tenant: [AuditTables1765000000001],
  control: [SecurityLogTables1765000000001],
  // resource_owners.tenant_id references tenants.id.
  after: ['tenants'],
};
