import { noMigrations, type ServiceData } from '@tessera/tenancy';

/**
 * The gateway owns no table. What it writes goes through the owners' write-in ports (request
 * metrics and usage meters to the metrics service, audit and security events to the audit
 * service), and it reads the tenant directory the tenants service publishes. Owning nothing, it
 * has no migrations.
 */
export const gatewayData: ServiceData = { service: 'gateway', owns: [], borrows: [], migrations: noMigrations };
