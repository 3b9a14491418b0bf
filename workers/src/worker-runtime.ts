import type { DataSource } from 'typeorm';
import { createServiceTokenSigner } from '@tessera/auth';
import type { Logger } from '@tessera/config';
import { datasetsPortClient, type DatasetsPort } from '@tessera/datasets/ports';
import { jobsPortClient, type JobsPort } from '@tessera/jobs/ports';
import { meteringConfig, UsageRecorder } from '@tessera/metering';
import { mutualTlsPortFetch, readTlsFiles } from '@tessera/service-kit';
import { modelsPortClient, type ModelsPort } from '@tessera/models/ports';
import { createObjectStoreClient, createTenantObjectStores } from '@tessera/storage';
import { createTenantAccess, openServiceDataSource, tenantBucketName, type TenantDirectory, type TenantScopeFactory } from '@tessera/tenancy';
import type { WorkerConfig } from './worker-environment';

/** The owning services' ports a worker calls: job rows, dataset versions and model versions are theirs. */
export interface WorkerPorts {
  jobs: JobsPort;
  datasets: DatasetsPort;
  models: ModelsPort;
}

/**
 * The clients one worker process holds: the ports of the jobs, datasets and models services (over
 * HTTP, signed as `workers`), one MySQL pool with no service's entities (the tenant directory and
 * keyring, and the usage meters), the object store (the tenant's objects, read and written under
 * its keys) and the tenant scopes that hold those keys.
 */
export interface WorkerRuntime {
  config: WorkerConfig;
  logger: Logger;
  db: DataSource;
  directory: TenantDirectory;
  scopes: TenantScopeFactory;
  ports: WorkerPorts;
  /** This worker's usage meters (jobWorkerMs), flushed every few seconds into each tenant's `usage_meters`. */
  usage: UsageRecorder;
  close(): Promise<void>;
}

export async function createWorkerRuntime(config: WorkerConfig, logger: Logger): Promise<WorkerRuntime> {
  const db = await openServiceDataSource(config.database, []);
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
  const sign = await createServiceTokenSigner('workers', config.ports.serviceKey);
  const identity = readTlsFiles(config.tls);
  const ports: WorkerPorts = {
    jobs: jobsPortClient({ baseUrl: config.ports.jobsUrl, sign, fetch: mutualTlsPortFetch(identity, 'jobs') }),
    datasets: datasetsPortClient({ baseUrl: config.ports.datasetsUrl, sign, fetch: mutualTlsPortFetch(identity, 'datasets') }),
    models: modelsPortClient({ baseUrl: config.ports.modelsUrl, sign, fetch: mutualTlsPortFetch(identity, 'models') }),
  };
  const usage = new UsageRecorder({ db, logger, config: meteringConfig(config.metering) });
  usage.start();
  return {
    config,
    logger,
    db,
    directory,
    scopes,
    ports,
    usage,
    close: async () => {
      await usage.close(); // the time of the last jobs is written before the pool closes
      if (db.isInitialized) await db.destroy();
    },
  };
}
