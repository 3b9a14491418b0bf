import type { DataSource, EntitySchema } from 'typeorm';
import type { Logger } from '@tessera/config';
import { datasetEntities } from '@tessera/datasets';
import { createEventBus, type EventBus } from '@tessera/events';
import { jobEntities } from '@tessera/jobs';
import { modelEntities } from '@tessera/models';
import { meteringConfig, UsageRecorder } from '@tessera/metering';
import { createObjectStoreClient, createTenantObjectStores } from '@tessera/storage';
import { createTenantAccess, openServiceDataSource, tenantBucketName, type TenantDirectory, type TenantScopeFactory } from '@tessera/tenancy';
import type { WorkerConfig } from './worker-environment';

/**
 * The clients one worker process holds: one MySQL pool (the service account; tenant schemas are
 * entered through TenantScopes, exactly as the subgraphs do), the object store, the tenant
 * directory and keyring, and the event bus jobs publish progress on.
 */
export interface WorkerRuntime {
  config: WorkerConfig;
  logger: Logger;
  db: DataSource;
  directory: TenantDirectory;
  scopes: TenantScopeFactory;
  events: EventBus;
  /** This worker's usage meters (jobWorkerMs), flushed every few seconds into each tenant's `usage_meters`. */
  usage: UsageRecorder;
  close(): Promise<void>;
}

export async function createWorkerRuntime(config: WorkerConfig, logger: Logger): Promise<WorkerRuntime> {
  // The registry and the dataset registration use these entities' repositories.
  const entities = [...jobEntities, ...datasetEntities, ...modelEntities] as EntitySchema[];
  const db = await openServiceDataSource(config.database, entities);
  const objectStore = createObjectStoreClient(config.objectStore);
  const { directory, scopes } = createTenantAccess({
    db,
    controlSchema: config.database.controlSchema,
    objectStore,
    tenantObjectStores: createTenantObjectStores(config.objectStore, objectStore, (tenantId) => tenantBucketName(config.objectStore.bucketPrefix, tenantId)),
    bucketPrefix: config.objectStore.bucketPrefix,
    masterKey: config.masterKey,
    tenantCacheTtlMs: config.tenantCacheTtlMs,
    tenantLimitDefaults: config.tenantLimitDefaults,
  });
  const events = createEventBus(config.redis);
  const usage = new UsageRecorder({ db, logger, config: meteringConfig(config.metering) });
  usage.start();
  return {
    config,
    logger,
    db,
    directory,
    scopes,
    events,
    usage,
    close: async () => {
      await events.close();
      await usage.close(); // the time of the last jobs is written before the pool closes
      if (db.isInitialized) await db.destroy();
    },
  };
}
