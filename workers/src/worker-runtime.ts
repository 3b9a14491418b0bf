import { createPrivateKey } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { JWK } from 'jose';
import { createServiceTokenSigner, type ServiceTokenSigner } from '@tessera/auth';
import { ConfigError, type Logger } from '@tessera/config';
import { datasetJobPortClient, type DatasetJobPort } from '@tessera/datasets/ports';
import { jobsPortClient, type JobsPort } from '@tessera/jobs/ports';
import { certificateIdentity, certificateRegion, dedicatedWorkerIdentity, mutualTlsPortFetch, readTlsFiles, type GrantPortMethods, type TlsIdentity } from '@tessera/service-kit';
import { modelJobPortClient, type ModelJobPort } from '@tessera/models/ports';
import type { PresignedFetchOptions } from '@tessera/storage';
import { dedicatedWorkerAccountUser, dedicatedWorkerDirectoryView, openServiceDataSource, quoteIdentifier, TenantDirectory, TenantStore } from '@tessera/tenancy';
import type { WorkerConfig } from './worker-environment';

/**
 * The owning services' ports a worker calls. The jobs port hands out claimed jobs with their
 * grants; the datasets-job and models-job ports act only on such a grant, never on an actor the
 * worker names: job rows, dataset versions and model versions are theirs.
 */
/** The subgraphs whose ports a worker calls: their listeners admit the workers' certificate. */
export const workerPortOwners = ['jobs', 'datasets', 'models'] as const;

export interface WorkerPorts {
  jobs: JobsPort;
  datasetJobs: GrantPortMethods<DatasetJobPort>;
  modelJobs: GrantPortMethods<ModelJobPort>;
}

/**
 * The clients one worker process holds: the ports (over mutual TLS, signed as `workers`), one
 * MySQL pool with no service's entities (the tenant directory only: a run's time is metered by the
 * jobs service from what the run reports when it ends), and how to
 * fetch presigned object URLs. No object-store client and no keyring: a worker holds neither the
 * master key nor an object-store key, and sees only the key of each object a grant opened for it.
 */
export interface WorkerRuntime {
  config: WorkerConfig;
  logger: Logger;
  db: DataSource;
  directory: TenantDirectory;
  ports: WorkerPorts;
  /** Presigned URLs over https are checked against the public CAs and the platform's CA. */
  objectFetch: PresignedFetchOptions;
  close(): Promise<void>;
}

/**
 * How this worker signs its port calls. The shared pool: as `workers`, with SERVICE_KEY. A dedicated
 * tenant's worker: as the identity its certificate names, which must be its ring's
 * (`workers-dedicated-<tenant>`), with that certificate's own key; the owners verify the token
 * against the certificate of the connection and serve only that tenant's jobs.
 */
async function portCallSigner(config: WorkerConfig, identity: TlsIdentity): Promise<ServiceTokenSigner> {
  const named = certificateIdentity(identity.cert);
  if (config.dedicatedTenant === undefined) return createServiceTokenSigner('workers', config.ports.serviceKey!);
  const expected = dedicatedWorkerIdentity(config.dedicatedTenant);
  if (named !== expected) throw new ConfigError([`TLS_CERT_FILE: a worker of dedicated tenant ${config.dedicatedTenant} presents its own certificate, CN ${expected} (this one names ${named ?? 'nothing'})`]);
  const key = createPrivateKey(identity.key);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new ConfigError([`TLS_KEY_FILE: a dedicated worker's certificate key is ECDSA P-256 (it signs ES256 port tokens)`]);
  return createServiceTokenSigner(expected, key.export({ format: 'jwk' }) as JWK);
}

/**
 * The region this worker runs jobs of is the one its certificate names: the port owners serve a
 * worker only the tenants of its certificate's region, so a worker started for another region
 * would claim nothing and read nothing. It stops here instead, naming both. A dedicated worker
 * without WORKER_REGION takes its certificate's region (its tenant's, when issued).
 */
function checkCertificateRegion(config: WorkerConfig, identity: TlsIdentity): void {
  const named = certificateRegion(identity.cert);
  if (named === undefined) {
    throw new ConfigError([`TLS_CERT_FILE: a worker's certificate names its region (a URI SAN urn:tessera:region:<region>); this one names none (README, Data residency)`]);
  }
  if (config.region !== undefined && config.region !== named) {
    throw new ConfigError([`WORKER_REGION: ${config.region} is not the region this worker's certificate names (${named}); start it with its region's certificate (TLS_CERT_FILE)`]);
  }
}

/**
 * A dedicated tenant's worker connects as its tenant's own account (`tessera_workers_<tenant>`), never
 * as the shared pool's `tessera_workers`, whose grants span every tenant: checked against the
 * account the server authenticated, so a deployment that kept the shared DATABASE_URL stops here.
 */
async function checkDatabaseAccount(config: WorkerConfig, db: DataSource): Promise<void> {
  if (config.dedicatedTenant === undefined) return;
  const expected = dedicatedWorkerAccountUser(config.dedicatedTenant);
  const [row] = (await db.query("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AS account")) as Array<{ account: string }>;
  if (row?.account !== expected) {
    throw new ConfigError([`DATABASE_URL: a worker of dedicated tenant ${config.dedicatedTenant} connects as its own account ${expected} (this one is ${row?.account ?? 'unknown'}; README, Dedicated-tier workers)`]);
  }
}

/** The region of a dedicated worker's tenant, as its directory view shows it (none once the tenant is gone). */
async function ownTenantRegions(home: DataSource, config: WorkerConfig): Promise<string[]> {
  const rows = (await home.query(`SELECT region FROM ${quoteIdentifier(config.database.controlSchema)}.${dedicatedWorkerDirectoryView} WHERE id = ?`, [config.dedicatedTenant])) as Array<{ region: string }>;
  return rows.map((row) => row.region);
}

export async function createWorkerRuntime(config: WorkerConfig, logger: Logger): Promise<WorkerRuntime> {
  // The identity first: a dedicated worker with the wrong certificate stops before it connects anywhere.
  const identity = readTlsFiles(config.tls);
  const sign = await portCallSigner(config, identity);
  checkCertificateRegion(config, identity);
  // A dedicated worker's account reads the directory through the view of its own tenant's row, and
  // exists on the home server and on its tenant's region's server only: it opens that one region
  // server (REGION_DATABASES), and routes by the region the view shows.
  const directorySource = config.dedicatedTenant === undefined ? 'tenants' : dedicatedWorkerDirectoryView;
  const db = await openServiceDataSource(
    config.database,
    [],
    config.dedicatedTenant === undefined
      ? {}
      : {
          regions: async (home) => {
            await checkDatabaseAccount(config, home);
            return ownTenantRegions(home, config);
          },
          directorySource,
        },
  );
  const directory = new TenantDirectory(new TenantStore(db, config.database.controlSchema, config.tenantLimitDefaults, directorySource), config.tenantCacheTtlMs);
  const ports: WorkerPorts = {
    jobs: jobsPortClient({ baseUrl: config.ports.jobsUrl, sign, fetch: mutualTlsPortFetch(identity, 'jobs') }),
    datasetJobs: datasetJobPortClient({ baseUrl: config.ports.datasetsUrl, sign, fetch: mutualTlsPortFetch(identity, 'datasets') }),
    modelJobs: modelJobPortClient({ baseUrl: config.ports.modelsUrl, sign, fetch: mutualTlsPortFetch(identity, 'models') }),
  };
  return {
    config,
    logger,
    db,
    directory,
    ports,
    objectFetch: { extraCa: identity.ca },
    close: async () => {
      if (db.isInitialized) await db.destroy();
    },
  };
}
