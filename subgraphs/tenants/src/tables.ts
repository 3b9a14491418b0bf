import type { ServiceData } from '@tessera/tenancy';
import { tenantsMigrations } from './migrations';

/**
 * The tenants service's tables: the tenant directory and the wrapped data keys. Every service reads
 * the directory (who the tenant is, its status and limits); the services that encrypt or decrypt a
 * tenant's data read its wrapped keys (unwrapping needs the master key, which the database never sees).
 */
export const tenantsData: ServiceData = {
  service: 'tenants',
  owns: [
    {
      table: 'tenants',
      plane: 'control',
      access: 'read-write',
      publishedTo: [{ to: 'every service', privileges: ['SELECT'], why: 'the tenant directory: status, tier and limits of a tenant' }],
    },
    {
      table: 'tenant_keys',
      plane: 'control',
      access: 'read-write',
      publishedTo: [{ to: ['datasets', 'models', 'jobs', 'audit', 'metrics', 'workers'], privileges: ['SELECT'], why: "wrapped data keys, to encrypt and decrypt a tenant's data" }],
    },
  ],
  borrows: [],
  migrations: tenantsMigrations,
};
