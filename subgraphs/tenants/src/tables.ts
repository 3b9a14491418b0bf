import type { ServiceData } from '@tessera/tenancy';
import { tenantsMigrations } from './migrations';

/**
 * The tenants service's tables: the tenant directory, the wrapped data keys (and the runs that
 * rewrap them after a key-encryption key rotation), and who may act in a tenant (members, service
 * accounts, API keys). Every service reads the directory (who the tenant is, its status and
 * limits); the services that encrypt or decrypt a tenant's data read its wrapped keys (unwrapping
 * needs the key provider, which the database never sees). The gateway reads the memberships and
 * keys to authorize requests; the audit service reads them for the access review; the jobs service
 * reads them to stop a job whose principal no longer holds access. In each tenant
 * schema it owns one row, the data-key floor, that orders sealed writes against a retirement.
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
      // Not the metrics service: it encrypts and decrypts nothing, and the key provider refuses it.
      publishedTo: [{ to: ['datasets', 'models', 'jobs', 'audit'], privileges: ['SELECT'], why: "wrapped data keys, to encrypt and decrypt a tenant's data" }],
    },
    {
      table: 'tenant_members',
      plane: 'control',
      access: 'read-write',
      publishedTo: [
        { to: ['gateway', 'audit'], privileges: ['SELECT'], why: "a caller's role in its tenant (ROLE_SOURCE=members); the access review" },
        { to: ['jobs'], privileges: ['SELECT'], why: 'a job stops acting for a member who left or whose role no longer allows it' },
      ],
    },
    {
      table: 'member_bindings',
      plane: 'control',
      access: 'read-write',
      publishedTo: [
        { to: ['gateway'], privileges: ['SELECT', 'INSERT'], why: 'binds an e-mail invitation to the subject of its first verified sign-in' },
        { to: ['audit'], privileges: ['SELECT'], why: 'the access review: which subject a member signs in as' },
        { to: ['jobs'], privileges: ['SELECT'], why: 'which member a job acts for (a subject bound by an e-mail invitation)' },
      ],
    },
    {
      table: 'service_accounts',
      plane: 'control',
      access: 'read-write',
      publishedTo: [
        { to: ['gateway', 'audit'], privileges: ['SELECT'], why: 'API keys act as their service account; the access review' },
        { to: ['jobs'], privileges: ['SELECT'], why: "a job queued by an API key stops once the key's service account is deleted" },
      ],
    },
    {
      table: 'api_keys',
      plane: 'control',
      access: 'read-write',
      publishedTo: [
        { to: ['gateway', 'audit'], privileges: ['SELECT'], why: 'API keys presented as bearer credentials (hash, scope, expiry, revocation); the access review' },
        { to: ['jobs'], privileges: ['SELECT'], why: 'a job queued by an API key stops once the key is revoked, expired or deleted' },
      ],
    },
    {
      table: 'api_key_usage',
      plane: 'control',
      access: 'read-write',
      publishedTo: [
        // INSERT … ON DUPLICATE KEY UPDATE: the first use inserts, later ones move last_used_at.
        { to: ['gateway'], privileges: ['SELECT', 'INSERT', 'UPDATE'], why: 'last use of each key, written in batches' },
        { to: ['audit'], privileges: ['SELECT'], why: 'the access review: last activity of service accounts' },
      ],
    },
    { table: 'kek_rewraps', plane: 'control', access: 'read-write' },
    { table: 'tenant_erasures', plane: 'control', access: 'read-write' },
    { table: 'key_operations', plane: 'control', access: 'read-write' },
    {
      // One row: the lowest data-key version a new seal may use. The tenants service raises it when it
      // retires a version; the services that seal read it under a shared lock in the sealing transaction.
      table: 'data_key_floor',
      plane: 'tenant',
      access: 'read-write',
      publishedTo: [{ to: ['datasets', 'models', 'jobs', 'audit'], privileges: ['SELECT'], why: 'held (shared lock) by each transaction that stores a value sealed with the tenant data key' }],
    },
  ],
  borrows: [],
  migrations: tenantsMigrations,
};
