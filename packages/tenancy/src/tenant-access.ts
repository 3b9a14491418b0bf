import type { DataSource } from 'typeorm';
import type { KeyProvider } from '@tessera/key-provider';
import type { RegionalObjectStores } from '@tessera/storage';
import { TenantDirectory } from './control-plane/tenant-directory';
import { TenantKeyring } from './control-plane/tenant-keyring';
import { TenantStore } from './control-plane/tenant-store';
import type { TenantLimits } from './tenant-limits';
import { TenantScopeFactory } from './tenant-scope';

export interface TenantAccessOptions {
  db: DataSource;
  controlSchema: string;
  /** Each served region's store (per-tenant clients under OBJECT_STORE_CREDENTIALS=sts). */
  objectStores: RegionalObjectStores;
  bucketPrefix: string;
  /** Only services that encrypt or decrypt tenant objects have one (the provider admits no other). */
  keyProvider: KeyProvider | undefined;
  /** How long a tenant's record is cached (bounds how fast a suspension bites). */
  tenantCacheTtlMs: number;
  /** The platform's limit defaults (TENANT_LIMIT_DEFAULTS) under each tenant's overrides; the built-in ones when omitted. */
  tenantLimitDefaults?: TenantLimits | undefined;
}

/** Everything a process needs to reach tenants (records, keys, scopes) over its one pool. */
export interface TenantAccess {
  tenants: TenantStore;
  directory: TenantDirectory;
  keyring: TenantKeyring;
  scopes: TenantScopeFactory;
}

/** Built the same way by every process that serves tenants: the subgraphs and the job workers. */
export function createTenantAccess(options: TenantAccessOptions): TenantAccess {
  const tenants = new TenantStore(options.db, options.controlSchema, options.tenantLimitDefaults);
  const directory = new TenantDirectory(tenants, options.tenantCacheTtlMs);
  const keyring = new TenantKeyring(options.db, options.controlSchema, options.keyProvider);
  const scopes = new TenantScopeFactory({
    db: options.db,
    controlSchema: options.controlSchema,
    directory,
    keyring,
    objectStores: options.objectStores,
    bucketPrefix: options.bucketPrefix,
  });
  return { tenants, directory, keyring, scopes };
}
