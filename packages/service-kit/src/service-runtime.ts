import type { DataSource, EntitySchema } from 'typeorm';
import type { JWK } from 'jose';
import { createInternalContextVerifier, type InternalContextVerifier } from '@tessera/auth';
import type { DatabaseConfig, Logger, ObjectStoreConfig, RedisConfig } from '@tessera/config';
import { createEventBus, type EventBus } from '@tessera/events';
import { keyEventRecorder } from './key-event-audit';
import { BudgetGuard, meteringConfig, UsageRecorder, type MeteringOptions } from '@tessera/metering';
import { createObjectStoreClient, createTenantObjectStores, type ObjectStoreClient, type TenantObjectStores } from '@tessera/storage';
import { createTenantAccess, openServiceDataSource, tenantBucketName, type TenantLimits, type TenantDirectory, type TenantKeyring, type TenantScopeFactory, type TenantStore } from '@tessera/tenancy';

export interface ServiceRuntimeConfig {
  serviceName: string;
  database: DatabaseConfig;
  objectStore: ObjectStoreConfig;
  redis: RedisConfig;
  masterKey: Buffer;
  internalContextPublicKey: JWK;
  /** How long a tenant's status is cached (bounds how fast a suspension bites). */
  tenantCacheTtlMs: number;
  /** The platform's limit defaults (TENANT_LIMIT_DEFAULTS); built-in ones when omitted. */
  tenantLimitDefaults?: TenantLimits | undefined;
  /** Usage metering and budget checks (defaults when omitted). */
  metering?: MeteringOptions | undefined;
}

/**
 * The clients one service process holds, built by hand in one place (no DI framework):
 * one MySQL pool, one S3 client, the tenant directory and keyring, the context verifier.
 */
export interface ServiceRuntime {
  config: ServiceRuntimeConfig;
  logger: Logger;
  db: DataSource;
  /** The service's own key. Under OBJECT_STORE_CREDENTIALS=sts it reaches no tenant bucket: use `tenantObjectStores`. */
  objectStore: ObjectStoreClient;
  /** The client to use while acting for one tenant (scoped to its bucket under `sts`). */
  tenantObjectStores: TenantObjectStores;
  tenants: TenantStore;
  directory: TenantDirectory;
  keyring: TenantKeyring;
  scopes: TenantScopeFactory;
  verifyInternalContext: InternalContextVerifier;
  /** Per-tenant Redis pub/sub (job progress, alerts); connects on first use, one subscriber connection per process. */
  events: EventBus;
  /** This process's usage meters (flushed every few seconds into each tenant's `usage_meters`). */
  usage: UsageRecorder;
  /** Month-to-date usage against the tenant's budgets: QUOTA_EXCEEDED for new work past a limit. */
  budgets: BudgetGuard;
  close(): Promise<void>;
}

export async function createServiceRuntime(config: ServiceRuntimeConfig, logger: Logger, entities: EntitySchema[]): Promise<ServiceRuntime> {
  const db = await openServiceDataSource(config.database, entities);
  const objectStore = createObjectStoreClient(config.objectStore);
  const tenantObjectStores = createTenantObjectStores(config.objectStore, objectStore, (tenantId) => tenantBucketName(config.objectStore.bucketPrefix, tenantId));
  const { tenants, directory, keyring, scopes } = createTenantAccess({
    db,
    controlSchema: config.database.controlSchema,
    objectStore,
    tenantObjectStores,
    bucketPrefix: config.objectStore.bucketPrefix,
    masterKey: config.masterKey,
    tenantCacheTtlMs: config.tenantCacheTtlMs,
    tenantLimitDefaults: config.tenantLimitDefaults,
  });
  keyring.onKeyEvent = keyEventRecorder(db);
  const verifyInternalContext = await createInternalContextVerifier(config.internalContextPublicKey);
  const events = createEventBus(config.redis);
  const metering = meteringConfig(config.metering);
  const usage = new UsageRecorder({ db, logger, config: metering });
  usage.start();
  const budgets = new BudgetGuard({ db, cacheMs: metering.budgetCacheMs, pending: (tenantId) => usage.pending(tenantId) });
  return {
    config,
    logger,
    db,
    objectStore,
    tenantObjectStores,
    tenants,
    directory,
    keyring,
    scopes,
    verifyInternalContext,
    events,
    usage,
    budgets,
    close: async () => {
      await events.close();
      await usage.close(); // what was metered last is written before the pool closes
      if (db.isInitialized) await db.destroy();
    },
  };
}
