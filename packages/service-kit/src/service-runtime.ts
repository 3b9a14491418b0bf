import type { DataSource, EntitySchema } from 'typeorm';
import type { JWK } from 'jose';
import { createServiceTokenVerifier, type ServiceTokenVerifier } from '@tessera/auth';
import { settleDeferredRecords } from '@tessera/audit-client';
import type { DatabaseConfig, KeyProviderConfig, Logger, ObjectStoreConfig, RedisConfig, RegionsConfig } from '@tessera/config';
import { VaultTransitKeyProvider, type KeyProvider } from '@tessera/key-provider';
import { createEventBus, type EventBus } from '@tessera/events';
import { keyEventRecorder } from './key-event-audit';
import { BudgetGuard, meteringConfig, UsageRecorder, type MeteringOptions } from '@tessera/metering';
import { createObjectStoreClient, createRegionalObjectStores, createTenantObjectStores, singleStoreRegions, staticTenantObjectStores, unavailableObjectStore, type ObjectStoreClient, type RegionalObjectStores, type TenantObjectStores } from '@tessera/storage';
import { createTenantAccess, openServiceDataSource, tenantBucketName, type TenantLimits, type TenantDirectory, type TenantKeyring, type TenantScopeFactory, type TenantStore } from '@tessera/tenancy';

export interface ServiceRuntimeConfig {
  serviceName: string;
  database: DatabaseConfig;
  /** Only services that keep objects (datasets, models, audit, tenants) hold object-store credentials. */
  objectStore?: ObjectStoreConfig | undefined;
  /**
   * The regions this deployment serves and its home region (DATA_REGIONS, HOME_REGION): a tenant of
   * any other region is refused. Omitted: any region, all in the one store (tests' inspection runtimes).
   */
  regions?: RegionsConfig | undefined;
  redis: RedisConfig;
  /**
   * Only services that encrypt or decrypt tenant objects reach the key provider (it admits no
   * other); `clientIdentity` is this service's certificate, for mutual TLS.
   */
  keyProvider?: (KeyProviderConfig & { clientIdentity?: { cert: string; key: string } | undefined }) | undefined;
  internalContextPublicKey: JWK;
  /** How long a tenant's status is cached (bounds how fast a suspension bites). */
  tenantCacheTtlMs: number;
  /** The platform's limit defaults (TENANT_LIMIT_DEFAULTS); built-in ones when omitted. */
  tenantLimitDefaults?: TenantLimits | undefined;
  /** Usage metering and budget checks (defaults when omitted). */
  metering?: MeteringOptions | undefined;
  /**
   * Public keys of the services that may call this process's ports, by service name. Without
   * them the ports answer nobody (UNAUTHENTICATED); the per-method allow-lists decide the rest.
   */
  portCallerKeys?: Readonly<Record<string, JWK>> | undefined;
}

/**
 * The clients one service process holds, built by hand in one place (no DI framework):
 * one MySQL pool, one S3 client, the tenant directory and keyring (each subgraph verifies its own
 * contexts: see subgraph-server.ts).
 */
export interface ServiceRuntime {
  config: ServiceRuntimeConfig;
  logger: Logger;
  db: DataSource;
  /** The service's own key. Under OBJECT_STORE_CREDENTIALS=sts it reaches no tenant bucket: use `tenantObjectStores`. */
  objectStore: ObjectStoreClient;
  /** The home region's clients for acting for one tenant (scoped to its bucket under `sts`). */
  tenantObjectStores: TenantObjectStores;
  /** Every served region's clients: what acting for a tenant uses (its own region's store, nothing else). */
  objectStores: RegionalObjectStores;
  tenants: TenantStore;
  directory: TenantDirectory;
  keyring: TenantKeyring;
  /** Wraps and unwraps tenant data keys (absent in services that never do). */
  keyProvider: KeyProvider | undefined;
  scopes: TenantScopeFactory;
  /** Which service a port call comes from (absent: no caller keys, so no port call passes). */
  verifyServiceToken: ServiceTokenVerifier | undefined;
  /** Per-tenant Redis pub/sub (job progress, alerts); connects on first use, one subscriber connection per process. */
  events: EventBus;
  /** This process's usage meters (flushed every few seconds into each tenant's `usage_meters`). */
  usage: UsageRecorder;
  /** Month-to-date usage against the tenant's budgets: QUOTA_EXCEEDED for new work past a limit. */
  budgets: BudgetGuard;
  close(): Promise<void>;
}

// A service without object-store credentials never names a bucket; its scopes still need a prefix.
const unusedBucketPrefix = 'tessera';

/** The object-store settings of a service that keeps objects: fails at start-up, naming the service, if they are missing. */
export function requireObjectStoreConfig(runtime: Pick<ServiceRuntime, 'config'>): ObjectStoreConfig {
  if (!runtime.config.objectStore) throw new Error(`the ${runtime.config.serviceName} service needs object-store settings (S3_*)`);
  return runtime.config.objectStore;
}

export async function createServiceRuntime(config: ServiceRuntimeConfig, logger: Logger, entities: EntitySchema[]): Promise<ServiceRuntime> {
  const db = await openServiceDataSource(config.database, entities);
  const storeConfig = config.objectStore;
  const objectStore = storeConfig ? createObjectStoreClient(storeConfig) : unavailableObjectStore(config.serviceName);
  const tenantObjectStores = storeConfig
    ? createTenantObjectStores(storeConfig, objectStore, (tenantId) => tenantBucketName(storeConfig.bucketPrefix, tenantId))
    : staticTenantObjectStores(objectStore);
  const objectStores = storeConfig
    ? createRegionalObjectStores(storeConfig, tenantObjectStores, config.regions, (tenantId) => tenantBucketName(storeConfig.bucketPrefix, tenantId))
    : singleStoreRegions(tenantObjectStores, config.regions);
  const keyProvider = config.keyProvider
    ? new VaultTransitKeyProvider({ url: config.keyProvider.url, keyName: config.keyProvider.keyName, mount: config.keyProvider.mount, ca: config.keyProvider.tlsCa, auth: config.keyProvider.auth ?? { method: 'token', token: config.keyProvider.token }, clientIdentity: config.keyProvider.clientIdentity })
    : undefined;
  const { tenants, directory, keyring, scopes } = createTenantAccess({
    db,
    controlSchema: config.database.controlSchema,
    objectStores,
    bucketPrefix: config.objectStore?.bucketPrefix ?? unusedBucketPrefix,
    keyProvider,
    tenantCacheTtlMs: config.tenantCacheTtlMs,
    tenantLimitDefaults: config.tenantLimitDefaults,
  });
  keyring.onKeyEvent = keyEventRecorder(db);
  const verifyServiceToken = config.portCallerKeys ? await createServiceTokenVerifier(config.portCallerKeys) : undefined;
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
    objectStores,
    tenants,
    directory,
    keyring,
    keyProvider,
    scopes,
    verifyServiceToken,
    events,
    usage,
    budgets,
    close: async () => {
      await events.close();
      await usage.close(); // what was metered last is written before the pool closes
      await settleDeferredRecords(); // and the audit records of answers already sent
      if (db.isInitialized) await db.destroy();
      keyProvider?.close();
    },
  };
}
