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
      // Not the workers: they hold no master key, and get the key of one object at a time from its owner.
      publishedTo: [{ to: ['datasets', 'models', 'jobs', 'audit', 'metrics'], privileges: ['SELECT'], why: "wrapped data keys, to encrypt and decrypt a tenant's data" }],
    },
  ],
  borrows: [],
  migrations: tenantsMigrations,
};
