import type { JWK } from 'jose';
import { generateServiceKeyPair, type AccessTokenVerifierOptions, type JobGrantKeys } from '@tessera/auth';
import type { AlertingConfig } from '@tessera/audit';
import type { DatasetsModuleOptions } from '@tessera/datasets';
import type { AuditChainConfig, DatabaseConfig, KeyProviderConfig, Logger, ObjectStoreConfig, RedisConfig } from '@tessera/config';
import { defaultTransferIdleTimeoutMs, startGateway, type GatewayAccessConfig, type RunningGateway, type TransferPace } from '@tessera/gateway';
import { createModelServing, type ModelServing, type ModelServingOptions, type ModelsModuleOptions } from '@tessera/models';
import { createServiceRuntime, startSubgraph, type RunningSubgraph, type ServerTls, type ServiceRuntime, type TlsIdentities } from '@tessera/service-kit';
import { createProvisioner, type ErasureConfig, type RewrapperOptions } from '@tessera/tenants';
import type { JobRunReconcilerOptions } from '@tessera/jobs';
import type { MonitoringOptions } from '@tessera/monitoring';
import type { MeteringOptions } from '@tessera/metering';
import type { ServiceName, TenantLimits, TenantProvisioner } from '@tessera/tenancy';
import { portCallersOf, subgraphModule, subgraphNames, type CatalogOptions, type ServicePorts, type SubgraphName } from './subgraph-catalog';
import { inProcessPorts } from './service-ports';
import { uploadStallMsFor } from './environment';
import { redisOf, type RedisByService } from './service-redis';

export interface PlatformConfig {
  logger: Logger;
  /** `url` is the account of every service not named in `databaseAccounts`. */
  database: DatabaseConfig;
  /** Each service's own database account (DATABASE_URL of that service), by service name. */
  databaseAccounts?: Partial<Record<ServiceName, string>>;
  objectStore: ObjectStoreConfig;
  redis: RedisConfig;
  /**
   * The Redis user of each service (`redis://user:password@…`), as separate processes would each
   * have their own REDIS_URL. A service left out connects with `redis`.
   */
  redisByService?: RedisByService;
  /**
   * The key provider holding the key-encryption keys (the local key service, or Vault). The
   * services that keep objects reach it with their own certificate from `tls`; the others get none.
   */
  keyProvider: KeyProviderConfig;
  internalContextKeys: { privateJwk: JWK; publicJwk: JWK };
  /** Each service's TLS identity (the local CA in `npm start` and tests): subgraphs serve mutual TLS, the gateway HTTPS. */
  tls: TlsIdentities;
  /** Lifetime of the gateway's internal contexts in seconds (1–30, default 30; tests shorten it). */
  internalContextLifetimeSeconds?: number;
  oidc: AccessTokenVerifierOptions;
  gatewayPort: number;
  publicUrl?: string | undefined;
  /** Regions tenants may be placed in (DATA_REGIONS); a region other than the home one needs its store in `objectStore.regions`, unless none has one. */
  regions: string[];
  /** The control plane's region, whose store is `objectStore` itself (HOME_REGION; default: the first of `regions`). */
  homeRegion?: string;
  tenantCacheTtlMs: number;
  /** The platform's tenant limit defaults (TENANT_LIMIT_DEFAULTS); the built-in ones when omitted. */
  tenantLimitDefaults?: TenantLimits;
  corsOrigins: string[];
  maxUploadBytes: number;
  /** Failed authentications per minute one client address may cause at the gateway (default 120). */
  authFailuresPerMinutePerAddress?: number;
  /** Uploads and downloads per tenant at once, and how long one may move no bytes, at the gateway (defaults when omitted). */
  transfers?: { perTenant?: number; idleTimeoutMs?: number; uploadPace?: Partial<TransferPace>; downloadPace?: Partial<TransferPace>; answerPace?: Partial<TransferPace> };
  /** How long a request body other than an upload's may take to arrive (REQUEST_BODY_TIMEOUT_MS; default 60 s). */
  requestBodyTimeoutMs?: number;
  /** The gateway's subscription keepalive (WS_KEEPALIVE_MS; default 12 000). */
  subscriptionKeepAliveMs?: number;
  /** Inference pools and stats of the models subgraph (defaults when omitted). */
  inference?: ModelServingOptions;
  /** The models subgraph's upload memory budget and validation threads (MODEL_UPLOAD_MEMORY_BYTES, MODEL_VALIDATION_THREADS; defaults when omitted). */
  modelUploads?: ModelsModuleOptions['modelUploads'];
  /** The datasets subgraph's CSV parsing threads (from the CSV_PARSE_* variables when omitted). */
  csvParsing?: DatasetsModuleOptions['csvParsing'];
  /** The datasets subgraph's upload spool (CSV_UPLOAD_SPOOL_*; defaults when omitted). */
  uploadSpool?: DatasetsModuleOptions['uploadSpool'];
  /** How much of stored column profiles the datasets subgraph opens per request (DATASET_PROFILE_BYTES_PER_REQUEST; default 8 MiB). */
  datasetReads?: DatasetsModuleOptions['datasetReads'];
  /** Batch size and pace of the tenants service's rewrap after a key-encryption key rotation (defaults when omitted). */
  keyRewrap?: RewrapperOptions;
  /** Audit hash-chain relay and checkpoint signing key (the audit service refuses to start without a key). */
  auditChain?: AuditChainConfig;
  /** Alerting of the audit service, incl. the ranges webhooks may reach despite the address policy (defaults when omitted). */
  alerting?: AlertingConfig;
  /** Request metrics at the gateway and anomaly detection in the metrics service (defaults when omitted). */
  monitoring?: MonitoringOptions;
  /** Usage meters' flush interval, budget cache and stored-bytes sampling (defaults when omitted). */
  metering?: MeteringOptions;
  /** How long the metrics and models services keep per-minute series, and the sweep's pace (defaults when omitted). */
  retention?: ModelsModuleOptions['retention'];
  /**
   * Public keys of the services that call this process's ports from other processes (the
   * workers), by service name. Services inside this process call the ports in-process.
   */
  portCallerKeys?: Record<string, JWK>;
  /**
   * The jobs service's key pair in this process: it signs the grant of each claimed job, the
   * datasets and models services verify grants with the public half. Made at start when omitted.
   */
  jobsServiceKeys?: { privateJwk: JWK; publicJwk: JWK };
  /** Where the gateway takes tenant roles from (ROLE_SOURCE), and its membership / API-key cache. */
  access?: GatewayAccessConfig;
  /** The tenants service's erasure settings (ERASURE_GRACE_HOURS); defaults when omitted. */
  erasure?: ErasureConfig;
  /** How often the jobs service checks unfinished rows against their queue entries, and after how long unchanged (defaults when omitted). */
  jobReconciler?: JobRunReconcilerOptions;
  /** JOB_RETRY_BACKOFF_MS of the jobs service: the first wait before a job whose dependency was unreachable runs again (default 1 s). */
  jobRetry?: { backoffMs: number };
  /** INVITATION_TTL_HOURS of the tenants service (default 168). */
  invitationTtlHours?: number;
}

export interface RunningPlatform {
  gateway: RunningGateway;
  subgraphs: Record<SubgraphName, RunningSubgraph>;
  /** Each subgraph's runtime (its own pool, as its own database account). */
  runtimes: Record<SubgraphName, ServiceRuntime>;
  /** Every published port, each the owner's implementation on the owner's runtime (what the modules were given). */
  ports: ServicePorts;
  /** The tenants service's runtime (the one the provisioner runs on). */
  runtime: ServiceRuntime;
  provisioner: TenantProvisioner;
  /** The one set of tenant inference pools (and the stats recorder) of this process, on the models runtime. */
  modelServing: ModelServing;
  stop(): Promise<void>;
}

/** A subgraph answers the gateway, itself (its healthcheck holds its own certificate) and the callers of its ports. */
export function subgraphTls(identities: TlsIdentities, name: SubgraphName): ServerTls {
  return { identity: identities(name), allowedClients: ['gateway', name, ...portCallersOf(name)] };
}

/** The database config of one service: its own account when one is given. */
export function databaseOf(config: Pick<PlatformConfig, 'database' | 'databaseAccounts'>, service: ServiceName): DatabaseConfig {
  return { ...config.database, url: config.databaseAccounts?.[service] ?? config.database.url };
}

/**
 * Every service of the platform in this one process, each on its own port with its own runtime
 * (pool, as its own database account); services given the same account share one runtime. The
 * dev launcher and the test harness use this, after `tessera migrate` has run (migrateDeployment);
 * production runs one process per service with `tessera <service>`, same code.
 */
export async function startPlatform(config: PlatformConfig): Promise<RunningPlatform> {
  const byUrl = new Map<string, Promise<ServiceRuntime>>();
  const runtimeFor = (name: SubgraphName): Promise<ServiceRuntime> => {
    const database = databaseOf(config, name);
    // Each service its own database account and Redis user; services given the same ones share a runtime.
    const redis = redisOf(name, config.redis, config.redisByService);
    const key = `${database.url}|${redis.url}`;
    let runtime = byUrl.get(key);
    if (!runtime) {
      const sharing = subgraphNames.filter((other) => databaseOf(config, other).url === database.url && redisOf(other, config.redis, config.redisByService).url === redis.url);
      const entities = sharing.flatMap((other) => subgraphModule(other).entities);
      // A runtime reaches the key provider as the first of its services that keeps objects (or seals columns).
      const keyHolder =
        sharing.find((other) => subgraphModule(other).environment.includes('storage')) ?? sharing.find((other) => subgraphModule(other).environment.includes('keys'));
      const keyIdentity = keyHolder ? config.tls(keyHolder) : undefined;
      runtime = createServiceRuntime(
        {
          serviceName: 'tessera',
          database,
          objectStore: config.objectStore,
          regions: { served: config.regions, home: config.homeRegion ?? config.regions[0]! },
          redis,
          keyProvider: keyIdentity ? { ...config.keyProvider, clientIdentity: { cert: keyIdentity.cert, key: keyIdentity.key } } : undefined,
          internalContextPublicKey: config.internalContextKeys.publicJwk,
          tenantCacheTtlMs: config.tenantCacheTtlMs,
          tenantLimitDefaults: config.tenantLimitDefaults,
          metering: config.metering,
          portCallerKeys: config.portCallerKeys,
        },
        config.logger,
        entities,
      );
      byUrl.set(key, runtime);
    }
    return runtime;
  };
  const runtimes = {} as Record<SubgraphName, ServiceRuntime>;
  const closeRuntimes = async () => {
    for (const runtime of byUrl.values()) await (await runtime.catch(() => undefined))?.close();
  };
  let modelServing: ModelServing | undefined;
  const started: RunningSubgraph[] = [];
  const jobsKeys = config.jobsServiceKeys ?? (await generateServiceKeyPair());
  const jobGrantKeys: JobGrantKeys = { signingKey: jobsKeys.privateJwk, verifyKey: jobsKeys.publicJwk };
  try {
    for (const name of subgraphNames) runtimes[name] = await runtimeFor(name);
    modelServing = createModelServing(runtimes.models, config.inference);
    // Every service runs here, so a caller uses the owner's port implementation directly, on the
    // owner's runtime (its database account), exactly as over HTTP.
    const settings: Omit<CatalogOptions, 'ports'> = {
      regions: config.regions,
      modelServing,
      jobGrantKeys,
      // The serving above is made from it; the models port reads its inferenceReadSeconds.
      ...(config.inference ? { inference: config.inference } : {}),
      ...(config.csvParsing ? { csvParsing: config.csvParsing } : {}),
      ...(config.uploadSpool ? { uploadSpool: config.uploadSpool } : {}),
      ...(config.datasetReads ? { datasetReads: config.datasetReads } : {}),
      ...(config.auditChain ? { auditChain: config.auditChain } : {}),
      ...(config.alerting ? { alerting: config.alerting } : {}),
      ...(config.monitoring ? { monitoring: config.monitoring } : {}),
      ...(config.keyRewrap ? { keyRewrap: config.keyRewrap } : {}),
      ...(config.erasure ? { erasure: config.erasure } : {}),
      ...(config.jobReconciler ? { jobReconciler: config.jobReconciler } : {}),
      ...(config.jobRetry ? { jobRetry: config.jobRetry } : {}),
      ...(config.modelUploads ? { modelUploads: config.modelUploads } : {}),
      ...(config.retention ? { retention: config.retention } : {}),
      // The tenants service reads ROLE_SOURCE like the gateway (a new tenant's first admin is required with members).
      members: { roleSource: config.access?.roleSource ?? 'claims', invitationTtlHours: config.invitationTtlHours ?? 168 },
    };
    const ports = inProcessPorts(runtimes, settings);
    const options: CatalogOptions = { ...settings, ports };
    for (const name of subgraphNames) {
      started.push(
        await startSubgraph(subgraphModule(name).build(runtimes[name], options), runtimes[name], 0, undefined, subgraphTls(config.tls, name), { requestBodyTimeoutMs: config.requestBodyTimeoutMs, uploadStallMs: uploadStallMsFor(config.transfers?.idleTimeoutMs ?? defaultTransferIdleTimeoutMs) }),
      );
    }
    const subgraphs = Object.fromEntries(started.map((s) => [s.name, s])) as Record<SubgraphName, RunningSubgraph>;
    const gateway = await startGateway(
      {
        port: config.gatewayPort,
        publicUrl: config.publicUrl,
        oidc: config.oidc,
        internalContextPrivateKey: config.internalContextKeys.privateJwk,
        ...(config.internalContextLifetimeSeconds ? { internalContextLifetimeSeconds: config.internalContextLifetimeSeconds } : {}),
        tls: config.tls('gateway'),
        subgraphs: started.map((s) => ({ name: s.name, url: `${s.url}/graphql` })),
        uploadTargets: ['datasets', 'models'],
        downloadTargets: ['models'],
        limits: { maxUploadBytes: config.maxUploadBytes, authFailuresPerMinutePerAddress: config.authFailuresPerMinutePerAddress, transfersPerTenant: config.transfers?.perTenant, transferIdleTimeoutMs: config.transfers?.idleTimeoutMs, uploadPace: config.transfers?.uploadPace, downloadPace: config.transfers?.downloadPace, answerPace: config.transfers?.answerPace, requestBodyTimeoutMs: config.requestBodyTimeoutMs, subscriptionKeepAliveMs: config.subscriptionKeepAliveMs },
        ...(config.monitoring?.requestMetrics ? { requestMetrics: config.monitoring.requestMetrics } : {}),
        ...(config.metering ? { metering: config.metering } : {}),
        ...(config.access ? { access: config.access } : {}),
      },
      { logger: config.logger, database: databaseOf(config, 'gateway'), tenantCacheTtlMs: config.tenantCacheTtlMs, tenantLimitDefaults: config.tenantLimitDefaults, corsOrigins: config.corsOrigins, redis: redisOf('gateway', config.redis, config.redisByService) },
    );
    const serving = modelServing;
    return {
      gateway,
      subgraphs,
      runtimes,
      ports,
      runtime: runtimes.tenants,
      provisioner: createProvisioner(runtimes.tenants, { regions: config.regions }),
      modelServing: serving,
      stop: async () => {
        await gateway.close();
        for (const subgraph of started) await subgraph.close();
        await serving.close();
        await closeRuntimes();
      },
    };
  } catch (error) {
    for (const subgraph of started) await subgraph.close().catch(() => undefined);
    await modelServing?.close().catch(() => undefined);
    await closeRuntimes();
    throw error;
  }
}
