import type { DataSource, EntitySchema } from 'typeorm';
import type { Logger } from '@tessera/config';
import { datasetEntities } from '@tessera/datasets';
import { createEventBus, type EventBus } from '@tessera/events';
import { jobEntities } from '@tessera/jobs';
import { modelEntities } from '@tessera/models';
import { createObjectStoreClient } from '@tessera/storage';
import { createTenantAccess, openServiceDataSource, type TenantDirectory, type TenantScopeFactory } from '@tessera/tenancy';
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
  close(): Promise<void>;
}

export async function createWorkerRuntime(config: WorkerConfig, logger: Logger): Promise<WorkerRuntime> {
  // The registry and the dataset registration use these entities' repositories.
  const entities = [...jobEntities, ...datasetEntities, ...modelEntities] as EntitySchema[];
  const db = await openServiceDataSource(config.database, entities);
  const { directory, scopes } = createTenantAccess({
    db,
    controlSchema: config.database.controlSchema,
    objectStore: createObjectStoreClient(config.objectStore),
    bucketPrefix: config.objectStore.bucketPrefix,
    masterKey: config.masterKey,
    tenantCacheTtlMs: config.tenantCacheTtlMs,
    tenantLimitDefaults: config.tenantLimitDefaults,
  });
  const events = createEventBus(config.redis);
  return {
    config,
    logger,
    db,
    directory,
    scopes,
    events,
    close: async () => {
      await events.close();
      if (db.isInitialized) await db.destroy();
    },
  };
}
