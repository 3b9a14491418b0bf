import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  commaList,
  ConfigError,
  regionName,
  toRegionsConfig,
  databaseVariables,
  parseEnvironment,
  redisVariables,
  telemetryVariables,
  toDatabaseConfig,
  toRedisConfig,
  toTelemetryConfig,
  type DatabaseConfig,
  type LogLevel,
  type RedisConfig,
} from '@tessera/config';
import { inferenceVariables, toInferencePoolsOptions, type InferencePoolsOptionsInput } from '@tessera/inference';
import { isTenantId, tenantLimitDefaultsVariable, type TenantLimits } from '@tessera/tenancy';
import { jsonWebKey, milliseconds, url } from '@tessera/config';
import { tlsVariables, toTlsFiles, type TlsFiles } from '@tessera/service-kit';
import type { JWK } from 'jose';
import { maxBatchPredictionValues } from '@tessera/jobs/ports';

/**
 * The owning services a worker reaches through their ports (jobs, datasets, models), and its own
 * key: the only way a worker touches job rows, dataset versions or model versions. The shared
 * pool signs its calls with SERVICE_KEY; a dedicated tenant's worker has none and signs with its
 * own certificate's key (`workers-dedicated-<tenant>`), so it holds nothing of the shared pool's.
 */
const workerPortVariables = z.object({
  SERVICE_KEY: jsonWebKey().optional(),
  JOBS_PORT_URL: url(),
  DATASETS_PORT_URL: url(),
  MODELS_PORT_URL: url(),
});

/**
 * A worker process's settings. Workers hold no master key and no object-store key: a job's objects
 * are reached through the owners' ports (a presigned URL and the key of that one object, per call,
 * under the job's grant). They keep a MySQL account for the tenant directory (status, tier, limits:
 * which queue may start a job) and Redis for the queues; a run's time is metered by the jobs service. They serve no HTTP
 * API except a health port (for container health checks).
 */
const workerVariables = z.object({
  // Jobs run at once by this process (slots); each takes the next tenant in round-robin order.
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  // Shared pool: free slots of the whole pool (every worker's, as announced) that a tenant already
  // running a job there may not take, so another tenant's first job starts at once. 0: none.
  WORKER_POOL_HEADROOM_SLOTS: z.coerce.number().int().min(0).max(1024).default(1),
  // Empty: the shared pool. A tenant id: this process serves that dedicated-tier tenant only.
  WORKER_DEDICATED_TENANT: z.string().refine(isTenantId, 'must be a tenant id').optional(),
  // How long a job's lock lives without renewal: a killed worker's job is run again after about
  // this long (plus one stalled-check interval).
  WORKER_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  WORKER_STALLED_INTERVAL_MS: z.coerce.number().int().min(500).max(600_000).default(15_000),
  // How long a run keeps trying to record its outcome while the jobs service is unreachable (it
  // keeps its lock meanwhile); after that its entry ends and the jobs service ends the row RUN_LOST.
  WORKER_OUTCOME_RETRY_MS: z.coerce.number().int().min(0).max(3_600_000).default(120_000),
  // The waits between those tries: the first, doubled after each try, at most the cap.
  WORKER_OUTCOME_RETRY_BACKOFF_MS: milliseconds(1_000, 10),
  WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS: milliseconds(10_000, 10),
  // Predicted values a batch inference keeps between its two reads (rows × values per row): this
  // worker's memory bound for them. The jobs service refuses at submit what passes the default.
  BATCH_INFERENCE_MAX_PREDICTION_VALUES: z.coerce.number().int().min(1024).max(maxBatchPredictionValues).default(maxBatchPredictionValues),
  // Names this process in its queue locks and tenant leases, so whoever saw it die (its
  // supervisor) can release what it held at once. Unset: a random id.
  WORKER_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be 1-64 letters, digits or dashes').optional(),
  // Health endpoint (/_health, /_readiness, /_scaling); 0 picks a free port, unset means none.
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LISTEN_HOST: z.string().min(1).default('127.0.0.1'),
  TENANT_CACHE_TTL_MS: milliseconds(5_000),
  TENANT_LIMIT_DEFAULTS: tenantLimitDefaultsVariable,
  // Data residency: the region whose tenants' jobs this worker runs (it reads that region's ring
  // only, and skips a tenant of any other region). Default: HOME_REGION for the shared pool, the
  // tenant's own region for a dedicated worker.
  WORKER_REGION: regionName().optional(),
  DATA_REGIONS: commaList().default(['us-east-1', 'eu-west-1']),
  HOME_REGION: regionName().optional(),
});

export const workerEnvironment = databaseVariables
  .extend(redisVariables.shape)
  .extend(telemetryVariables.shape)
  .extend(workerVariables.shape)
  .extend(workerPortVariables.shape)
  // Batch inference runs in the worker's own inference pools, tuned and bounded as the models service's.
  .extend(inferenceVariables.shape)
  // Its `workers` service certificate: port calls are mutual TLS, and the owners read the caller from it.
  .extend(tlsVariables.shape);

export interface WorkerConfig {
  database: DatabaseConfig;
  redis: RedisConfig;
  concurrency: number;
  /** Free slots of the shared pool a tenant already running there must leave (WORKER_POOL_HEADROOM_SLOTS; 0: none). */
  poolHeadroomSlots: number;
  /** Set: serve only this dedicated-tier tenant. */
  dedicatedTenant: string | undefined;
  /** The region whose jobs this worker runs; undefined only for a dedicated worker (its tenant's region). */
  region: string | undefined;
  lockMs: number;
  stalledIntervalMs: number;
  /** Predicted values one batch inference may keep between its reads (BATCH_INFERENCE_MAX_PREDICTION_VALUES). */
  maxBatchPredictionValues: number;
  /** How long recording a run's outcome is retried while the jobs service is unreachable (WORKER_OUTCOME_RETRY_MS). */
  outcomeRetryMs: number;
  /** The first wait between those tries (WORKER_OUTCOME_RETRY_BACKOFF_MS), doubled after each up to outcomeRetryBackoffMaxMs (WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS). */
  outcomeRetryBackoffMs: number;
  outcomeRetryBackoffMaxMs: number;
  /** This process's id in its queue locks and leases (WORKER_INSTANCE_ID, or random). */
  instanceId: string;
  healthPort: number | undefined;
  host: string;
  tenantCacheTtlMs: number;
  tenantLimitDefaults: TenantLimits;
  logLevel: LogLevel;
  /** Where the worker's spans go (TRACING_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT), as for the services. */
  tracing: { exporter: 'otlp' | 'console' | 'none'; otlpEndpoint: string | undefined; otlpCaFile?: string | undefined };
  /** This worker's service key (the shared pool's; none for a dedicated worker) and the base URLs of the services whose ports it calls. */
  ports: { serviceKey: JWK | undefined; jobsUrl: string; datasetsUrl: string; modelsUrl: string };
  /** This worker's TLS identity (files, read at start). */
  tls: TlsFiles;
  /** Its inference pools (the INFERENCE_* variables; unset ones keep the pools' defaults). */
  inference: InferencePoolsOptionsInput;
}

/** `--dedicated <tenant>` on the command line wins over WORKER_DEDICATED_TENANT. */
export function readWorkerEnvironment(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): WorkerConfig {
  const flag = argv.indexOf('--dedicated');
  const withFlag = flag >= 0 ? { ...env, WORKER_DEDICATED_TENANT: argv[flag + 1] ?? '' } : env;
  const parsed = parseEnvironment(workerEnvironment, withFlag);
  const telemetry = toTelemetryConfig(parsed);
  const regions = toRegionsConfig({ DATA_REGIONS: parsed.DATA_REGIONS, HOME_REGION: parsed.HOME_REGION, DATABASE_URL: parsed.DATABASE_URL, REGION_DATABASES: parsed.REGION_DATABASES });
  if (parsed.WORKER_REGION !== undefined && !regions.served.includes(parsed.WORKER_REGION)) {
    throw new ConfigError([`WORKER_REGION: ${parsed.WORKER_REGION} is not one of DATA_REGIONS (${regions.served.join(', ')})`]);
  }
  if (parsed.WORKER_DEDICATED_TENANT === undefined && parsed.SERVICE_KEY === undefined) throw new ConfigError(['SERVICE_KEY: required for the shared pool\'s workers']);
  if (parsed.WORKER_DEDICATED_TENANT !== undefined && parsed.SERVICE_KEY !== undefined) {
    // The shared pool's key would let this worker pass for the shared pool wherever it also got a `workers` certificate.
    throw new ConfigError(['SERVICE_KEY: a dedicated worker holds none; it signs its port calls with its own certificate\'s key (workers-dedicated-<tenant>)']);
  }
  if (parsed.WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS < parsed.WORKER_OUTCOME_RETRY_BACKOFF_MS) {
    throw new ConfigError([`WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS: ${parsed.WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS} is below WORKER_OUTCOME_RETRY_BACKOFF_MS (${parsed.WORKER_OUTCOME_RETRY_BACKOFF_MS})`]);
  }
  return {
    database: toDatabaseConfig(parsed),
    redis: toRedisConfig(parsed),
    concurrency: parsed.WORKER_CONCURRENCY,
    poolHeadroomSlots: parsed.WORKER_POOL_HEADROOM_SLOTS,
    dedicatedTenant: parsed.WORKER_DEDICATED_TENANT,
    region: parsed.WORKER_REGION ?? (parsed.WORKER_DEDICATED_TENANT === undefined ? regions.home : undefined),
    lockMs: parsed.WORKER_LOCK_MS,
    stalledIntervalMs: parsed.WORKER_STALLED_INTERVAL_MS,
    outcomeRetryMs: parsed.WORKER_OUTCOME_RETRY_MS,
    outcomeRetryBackoffMs: parsed.WORKER_OUTCOME_RETRY_BACKOFF_MS,
    outcomeRetryBackoffMaxMs: parsed.WORKER_OUTCOME_RETRY_BACKOFF_MAX_MS,
    maxBatchPredictionValues: parsed.BATCH_INFERENCE_MAX_PREDICTION_VALUES,
    instanceId: parsed.WORKER_INSTANCE_ID ?? randomUUID(),
    healthPort: parsed.WORKER_HEALTH_PORT,
    host: parsed.LISTEN_HOST,
    tenantCacheTtlMs: parsed.TENANT_CACHE_TTL_MS,
    tenantLimitDefaults: parsed.TENANT_LIMIT_DEFAULTS,
    logLevel: telemetry.logLevel,
    tracing: { exporter: telemetry.exporter, otlpEndpoint: telemetry.otlpEndpoint, otlpCaFile: telemetry.otlpCaFile },
    ports: { serviceKey: parsed.SERVICE_KEY as JWK | undefined, jobsUrl: parsed.JOBS_PORT_URL, datasetsUrl: parsed.DATASETS_PORT_URL, modelsUrl: parsed.MODELS_PORT_URL },
    tls: toTlsFiles(parsed),
    inference: toInferencePoolsOptions(parsed),
  };
}
