import { z } from 'zod';
import {
  auditChainVariables,
  base64Key32,
  commaList,
  databaseVariables,
  keyProviderVariables,
  jsonWebKey,
  logLevel,
  migratorVariables,
  objectStoreVariables,
  parseEnvironment,
  regionObjectStoreVariables,
  regionVariables,
  toRegionObjectStores,
  toRegionsConfig,
  pemFile,
  port,
  redisVariables,
  toRedisConfig,
  telemetryVariables,
  toDatabaseConfig,
  toMigratorConfig,
  toObjectStoreConfig,
  toKeyProviderConfig,
  toTelemetryConfig,
  toAuditChainConfig,
  url,
  milliseconds,
  ConfigError,
} from '@tessera/config';
import { alertingVariables, toAlertingConfig } from '@tessera/audit';
import { monitoringVariables, toMonitoringOptions } from '@tessera/monitoring';
import { meteringVariables, toMeteringOptions } from '@tessera/metering';
import { retentionVariables, tenantLimitDefaultsVariable, toRetentionOptions } from '@tessera/tenancy';
import { parseTrustedProxies, readTrustedDocuments, subscriptionKeepAliveBoundsMs, subscriptionKeepAliveMs } from '@tessera/gateway';
import { erasureVariables, toErasureConfig } from '@tessera/tenants';
import { inferenceVariables, toInferencePoolsOptions } from '@tessera/inference';
import { portUrlVariable } from './service-ports';
import { portsCalledBy, subgraphModule, type SubgraphName } from './subgraph-catalog';
import { portVariables, type EnvironmentGroup } from '@tessera/service-kit';
import { gatewayTlsVariables, subgraphTlsVariables, tlsVariables, toPublicTlsFiles, toTlsFiles } from './tls-environment';

/**
 * Every variable the platform reads, by concern (a table of them is in the README). Parsed once
 * at start-up; a bad value stops the process with a message naming each bad variable.
 */
const oidcVariables = z.object({
  OIDC_ISSUER_URL: url(),
  OIDC_AUDIENCE: z.string().min(1),
  OIDC_TENANT_CLAIM: z.string().min(1).default('tenant'),
  OIDC_ROLES_CLAIM: z.string().min(1).default('roles'),
  OIDC_ALGORITHMS: commaList()
    .default(['ES256', 'RS256'])
    .refine((algs) => algs.length > 0 && algs.every((alg) => /^(RS|PS|ES)(256|384|512)$|^EdDSA$/.test(alg)), 'only asymmetric JWS algorithms (RS*, PS*, ES*, EdDSA)'),
  OIDC_JWKS_COOLDOWN_MS: milliseconds(30_000),
  OIDC_JWKS_CACHE_MAX_AGE_MS: milliseconds(600_000, 1000),
  OIDC_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  // PEM file of the CA that signed the issuer's certificate (a private CA, e.g. Keycloak's); only with
  // an https:// OIDC_ISSUER_URL. Unset with https://: the public roots. Read once at start-up.
  OIDC_TLS_CA_FILE: pemFile().optional(),
});

/** The interface a service binds: loopback unless told otherwise (a container sets 0.0.0.0). */
const listenHost = () => z.string().min(1).default('127.0.0.1');

/** A transfer's pace (gateway/src/transfer-pace.ts), with the same bounds and defaults for uploads and downloads. */
const paceMinBytesPerSecond = () => z.coerce.number().int().min(1_024).max(100 * 1024 * 1024).default(16 * 1024);
const paceGraceMs = () => z.coerce.number().int().min(1_000).max(3_600_000).default(60_000);
const paceMaxDurationMs = () =>
  z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .refine((ms) => ms === 0 || ms >= 60_000, { message: '0 (no ceiling) or at least 60000' })
    .default(0);

const platformVariables = z.object({
  DATA_REGIONS: commaList().default(['us-east-1', 'eu-west-1']),
  ...regionVariables.shape,
  TENANT_CACHE_TTL_MS: milliseconds(5_000),
  // JSON object of tenant limits (names as in the README's limits table) replacing the built-in defaults.
  TENANT_LIMIT_DEFAULTS: tenantLimitDefaultsVariable,
});

const gatewayVariables = z.object({
  GATEWAY_PORT: port(4000),
  LISTEN_HOST: listenHost(),
  PUBLIC_URL: url().optional(),
  CORS_ORIGINS: commaList().default(['https://studio.apollographql.com', 'http://localhost:3000']),
  MAX_UPLOAD_BYTES: z.coerce.number().int().min(1).default(1024 * 1024 * 1024),
  /** Failed authentications per minute one client address may cause; past it, its requests are refused before token verification. */
  AUTH_FAILURES_PER_MINUTE_PER_ADDRESS: z.coerce.number().int().min(1).default(120),
  WS_PENDING_SOCKETS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(16),
  /** Bytes of relayed events one subscription socket may hold unread in the gateway, over all its subscriptions; past it a subscription ends SLOW_CONSUMER. */
  WS_SOCKET_BUFFER_BYTES: z.coerce.number().int().min(1024).max(1024 ** 3).default(1024 * 1024),
  WS_KEEPALIVE_MS: z.coerce.number().int().min(subscriptionKeepAliveBoundsMs.min).max(subscriptionKeepAliveBoundsMs.max).default(subscriptionKeepAliveMs),
  /** Connections one client address may hold open at once (0: no cap); trusted proxies are not capped. */
  CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(0).max(1_000_000).default(256),
  /** Proxies whose X-Forwarded-For names the client: loopback, private, addresses and address/prefix entries. */
  TRUSTED_PROXIES: z
    .string()
    .default('loopback')
    .transform((value, ctx) => {
      try {
        return parseTrustedProxies(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
  /** How long a tenant's RATE_LIMITED answer is held before it is sent, so clients ignoring retry-after cannot spin. */
  RATE_LIMITED_HOLD_MS: z.coerce.number().int().min(0).max(10_000).default(250),
  /** Uploads and downloads one tenant may have in progress at once on a gateway replica. */
  TRANSFERS_PER_TENANT: z.coerce.number().int().min(1).default(8),
  /** How long an upload's body or a download's reader may move no bytes before the gateway cuts the stream. */
  TRANSFER_IDLE_TIMEOUT_MS: milliseconds(30_000, 1_000),
  /** Bytes per second an upload's body must average beyond UPLOAD_RATE_GRACE_MS (gateway/src/transfer-pace.ts). */
  UPLOAD_MIN_BYTES_PER_SECOND: paceMinBytesPerSecond(),
  /** Time every upload's body gets before its rate counts. */
  UPLOAD_RATE_GRACE_MS: paceGraceMs(),
  /** Longest an upload's body may take whatever its rate; 0: no ceiling but the rate's. */
  UPLOAD_MAX_DURATION_MS: paceMaxDurationMs(),
  /** Bytes per second a download's client must take on average beyond DOWNLOAD_RATE_GRACE_MS. */
  DOWNLOAD_MIN_BYTES_PER_SECOND: paceMinBytesPerSecond(),
  /** Time every download gets before its rate counts. */
  DOWNLOAD_RATE_GRACE_MS: paceGraceMs(),
  /** Longest a download may take whatever its rate; 0: no ceiling but the rate's. */
  DOWNLOAD_MAX_DURATION_MS: paceMaxDurationMs(),
  /** Bytes per second a client must take a GraphQL or predict-route answer at, on average beyond ANSWER_RATE_GRACE_MS (gateway/src/answer-bytes.ts). */
  ANSWER_MIN_BYTES_PER_SECOND: paceMinBytesPerSecond(),
  /** Time every answer's client gets before its rate counts. */
  ANSWER_RATE_GRACE_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(10_000),
  REQUEST_BODY_TIMEOUT_MS: milliseconds(60_000, 1_000),
  INTERNAL_CONTEXT_PRIVATE_KEY: jsonWebKey(),
  /** Where tenant roles come from: the token's roles claim, or Tessera's members (README: Members, service accounts and API keys). */
  ROLE_SOURCE: z.enum(['claims', 'members']).default('claims'),
  /** How long a membership or API key is reused without a query (changes announced on Redis drop it at once). */
  ACCESS_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(30_000),
  /** How often the API keys' last use is written. */
  API_KEY_USAGE_FLUSH_MS: milliseconds(10_000, 100),
  /** `automatic`: any document, and clients may register documents by SHA-256 (APQ); `trusted`: only TRUSTED_DOCUMENTS_FILE's documents run. */
  PERSISTED_DOCUMENTS: z.enum(['automatic', 'trusted']).default('automatic'),
  /** A trusted-documents manifest (Apollo's persisted query manifest, or { "<sha256>": "<document>" }). */
  TRUSTED_DOCUMENTS_FILE: z.string().min(1).optional(),
  /** Operations kept prepared (parsed, measured, validated, planned); 0: none, every request prepared anew. */
  PREPARED_OPERATIONS_MAX: z.coerce.number().int().min(0).max(100_000).default(1_000),
  DATASETS_URL: url(),
  MODELS_URL: url(),
  JOBS_URL: url(),
  AUDIT_URL: url(),
  METRICS_URL: url(),
  TENANTS_URL: url(),
});

const subgraphVariables = z.object({
  PORT: port(4001),
  LISTEN_HOST: listenHost(),
  INTERNAL_CONTEXT_PUBLIC_KEY: jsonWebKey(),
  /** How long a body other than a streamed upload's may take to arrive (port calls, operations, predictions). */
  REQUEST_BODY_TIMEOUT_MS: milliseconds(60_000, 1_000),
  /** The gateway's; a streamed upload that moves no bytes for twice this loses its connection here (a gateway that vanished without closing it). */
  TRANSFER_IDLE_TIMEOUT_MS: milliseconds(30_000, 1_000),
});

export const gatewayEnvironment = databaseVariables
  .extend(oidcVariables.shape)
  .extend(redisVariables.shape)
  .extend(platformVariables.shape)
  .extend(gatewayVariables.shape)
  .extend(gatewayTlsVariables.shape)
  .extend(telemetryVariables.shape)
  .extend(monitoringVariables.shape)
  .extend(meteringVariables.shape);

/** Base URLs (no /graphql) of the owners whose ports a subgraph calls (its module's `ports.calls`), e.g. JOBS_PORT_URL. */
function portUrlVariables(name: SubgraphName): z.ZodObject {
  return z.object(Object.fromEntries(portsCalledBy[name].map((owner) => [portUrlVariable(owner), url().optional()])));
}

/** What every subgraph reads: its database and Redis accounts, the gateway's public key, its port. */
const subgraphBaseEnvironment = databaseVariables
  .extend(redisVariables.shape)
  .extend(platformVariables.shape)
  .extend(subgraphVariables.shape)
  .extend(subgraphTlsVariables.shape)
  .extend(telemetryVariables.shape)
  .extend(meteringVariables.shape)
  .extend(portVariables.shape);

/**
 * Variable groups only some subgraphs hold, each module naming its own (`environment` in its
 * module.ts). A service's schema is the base plus its groups and nothing else, so a container is
 * given exactly the secrets its service uses (the compose test compares them): only services that
 * keep objects hold S3 keys and reach the key provider, only the audit service holds the checkpoint
 * signing key. The groups' variables are defined here, not in a library, because some come from
 * a service (the audit service's alerting variables).
 */
const subgraphVariableGroups = {
  // Keeping objects means encrypting them: the object store(s) and the key provider come together.
  storage: objectStoreVariables.extend(regionObjectStoreVariables.shape).extend(keyProviderVariables.shape),
  // Sealing columns without keeping objects (jobs): the key provider alone, no object-store credentials.
  keys: keyProviderVariables,
  auditChain: auditChainVariables,
  alerting: alertingVariables,
  monitoring: monitoringVariables,
  // The owners of per-minute series (metrics, models) keep them this long.
  retention: retentionVariables,
  erasure: erasureVariables,
  // The tenants service must know where roles come from (a new tenant then needs its first admin) and how long invitations last.
  members: z.object({
    ROLE_SOURCE: z.enum(['claims', 'members']).default('claims'),
    INVITATION_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(168),
  }),
  // What the models service holds for uploads it is receiving: their bytes (one tenant at most half) and the validation threads.
  modelUploads: z.object({
    MODEL_UPLOAD_MEMORY_BYTES: z.coerce.number().int().min(1024 * 1024).max(Number.MAX_SAFE_INTEGER).default(512 * 1024 * 1024),
    // Longest an upload may hold its share of that memory before its whole body is in: 1 s to 24 h.
    MODEL_UPLOAD_MEMORY_HOLD_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(600_000),
    MODEL_VALIDATION_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  }),
  // How often the jobs service looks for unfinished rows no run holds any more (0: never), and how
  // long a row must have been unchanged first: longer than a worker takes to move its queue entry
  // after writing the row (a row whose entry a worker holds is never touched, however old).
  jobReconciler: z.object({
    JOB_RECONCILE_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .refine((ms) => ms === 0 || ms >= 1_000, { message: '0 (never) or at least 1000' })
      .default(60_000),
    JOB_RECONCILE_GRACE_MS: z.coerce.number().int().min(10_000).max(86_400_000).default(120_000),
  }),
  // The first wait before a job whose dependency was unreachable runs again (doubled at each
  // attempt, and the base of the waits before an entry that could not be claimed is tried again).
  jobRetry: z.object({
    JOB_RETRY_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  }),
  // Where the datasets service keeps upload bodies until they have all arrived, and how many bytes of them (unset: the spool's defaults).
  csvUploads: z.object({
    CSV_UPLOAD_SPOOL_DIR: z.string().min(1).optional(),
    CSV_UPLOAD_SPOOL_BYTES: z.coerce.number().int().min(1024 * 1024).max(Number.MAX_SAFE_INTEGER).optional(),
    CSV_UPLOAD_SPOOL_PER_TENANT_BYTES: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  }),
  // The inference pools of the models service (the worker reads the same variables), and where its prediction log lives.
  // The log's bound: bytes of calls not yet in MySQL past which predicts are refused (per process; per tenant at most the share).
  inference: inferenceVariables.extend({
    INFERENCE_STATS_LOG_DIR: z.string().min(1).optional(),
    INFERENCE_STATS_LOG_MAX_MB: z.coerce.number().int().min(1).max(1_048_576).default(1_024),
    INFERENCE_STATS_LOG_PER_TENANT_MB: z.coerce.number().int().min(1).max(1_048_576).optional(),
  }),
  // How many bytes of stored column profiles (a dataset version's `columns`) the datasets service opens for one request.
  datasetReads: z.object({
    DATASET_PROFILE_BYTES_PER_REQUEST: z.coerce.number().int().min(1024).max(1024 ** 3).default(8 * 1024 * 1024),
  }),
  // The datasets service's CSV parsing threads (unset: the pool's defaults; the heap has one, so threads × heap is a bound).
  csvParsing: z.object({
    CSV_PARSE_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
    CSV_PARSE_WORKERS_PER_TENANT: z.coerce.number().int().min(1).max(64).optional(),
    CSV_PARSE_QUEUE_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).optional(),
    CSV_PARSE_QUEUE_PER_TENANT: z.coerce.number().int().min(0).max(10_000).optional(),
    CSV_PARSE_WORKER_HEAP_MB: z.coerce.number().int().min(16).max(65_536).optional(),
  }),
} satisfies Record<EnvironmentGroup, z.ZodObject>;
type SubgraphVariableGroup = EnvironmentGroup;

/** A subgraph's groups, as its module declares them. */
export function subgraphVariableGroupsOf(name: SubgraphName): readonly SubgraphVariableGroup[] {
  return subgraphModule(name).environment;
}

/** The environment schema of one subgraph service. */
export function subgraphEnvironment(name: SubgraphName): z.ZodObject {
  const withGroups = subgraphVariableGroupsOf(name).reduce<z.ZodObject>((schema, group) => schema.extend(subgraphVariableGroups[group].shape), subgraphBaseEnvironment);
  return withGroups.extend(portUrlVariables(name).shape);
}

export function readGatewayEnvironment(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnvironment(gatewayEnvironment, env);
  // The gateway writes into tenant schemas (metrics, meters): REGION_DATABASES is checked as in the services.
  toRegionsConfig(parsed);
  // A CA with an http:// issuer would be ignored: the operator believes discovery and JWKS are verified.
  if (parsed.OIDC_TLS_CA_FILE !== undefined && !parsed.OIDC_ISSUER_URL.startsWith('https://')) {
    throw new ConfigError(['OIDC_TLS_CA_FILE: set, but OIDC_ISSUER_URL is not an https:// URL']);
  }
  if (parsed.PERSISTED_DOCUMENTS === 'trusted' && parsed.TRUSTED_DOCUMENTS_FILE === undefined) {
    throw new ConfigError(['TRUSTED_DOCUMENTS_FILE: required when PERSISTED_DOCUMENTS=trusted']);
  }
  let trustedDocuments: Map<string, string> | undefined;
  try {
    trustedDocuments = parsed.TRUSTED_DOCUMENTS_FILE === undefined ? undefined : readTrustedDocuments(parsed.TRUSTED_DOCUMENTS_FILE);
  } catch (error) {
    throw new ConfigError([`TRUSTED_DOCUMENTS_FILE: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return {
    database: toDatabaseConfig(parsed),
    redis: toRedisConfig(parsed),
    telemetry: toTelemetryConfig(parsed),
    tenantCacheTtlMs: parsed.TENANT_CACHE_TTL_MS,
    tenantLimitDefaults: parsed.TENANT_LIMIT_DEFAULTS,
    corsOrigins: parsed.CORS_ORIGINS,
    /** Read when the gateway starts (main.ts): the service identity, and the public endpoint's certificate. */
    tls: { files: toTlsFiles(parsed), publicFiles: toPublicTlsFiles(parsed) },
    gateway: {
      port: parsed.GATEWAY_PORT,
      host: parsed.LISTEN_HOST,
      publicUrl: parsed.PUBLIC_URL,
      oidc: {
        issuerUrl: parsed.OIDC_ISSUER_URL,
        audience: parsed.OIDC_AUDIENCE,
        algorithms: parsed.OIDC_ALGORITHMS,
        tenantClaim: parsed.OIDC_TENANT_CLAIM,
        rolesClaim: parsed.OIDC_ROLES_CLAIM,
        jwksCooldownMs: parsed.OIDC_JWKS_COOLDOWN_MS,
        jwksCacheMaxAgeMs: parsed.OIDC_JWKS_CACHE_MAX_AGE_MS,
        clockToleranceSeconds: parsed.OIDC_CLOCK_TOLERANCE_SECONDS,
        tlsCa: parsed.OIDC_TLS_CA_FILE,
      },
      internalContextPrivateKey: parsed.INTERNAL_CONTEXT_PRIVATE_KEY,
      internalContextLifetimeSeconds: parsed.INTERNAL_CONTEXT_TTL_SECONDS,
      subgraphs: [
        { name: 'datasets', url: parsed.DATASETS_URL },
        { name: 'models', url: parsed.MODELS_URL },
        { name: 'jobs', url: parsed.JOBS_URL },
        { name: 'audit', url: parsed.AUDIT_URL },
        { name: 'metrics', url: parsed.METRICS_URL },
        { name: 'tenants', url: parsed.TENANTS_URL },
      ],
      trustedProxies: parsed.TRUSTED_PROXIES,
      uploadTargets: ['datasets', 'models'],
      downloadTargets: ['models'],
      limits: { maxUploadBytes: parsed.MAX_UPLOAD_BYTES, authFailuresPerMinutePerAddress: parsed.AUTH_FAILURES_PER_MINUTE_PER_ADDRESS, pendingSocketsPerAddress: parsed.WS_PENDING_SOCKETS_PER_ADDRESS, socketBufferBytes: parsed.WS_SOCKET_BUFFER_BYTES, connectionsPerAddress: parsed.CONNECTIONS_PER_ADDRESS, rateLimitedHoldMs: parsed.RATE_LIMITED_HOLD_MS, transfersPerTenant: parsed.TRANSFERS_PER_TENANT, transferIdleTimeoutMs: parsed.TRANSFER_IDLE_TIMEOUT_MS, requestBodyTimeoutMs: parsed.REQUEST_BODY_TIMEOUT_MS, subscriptionKeepAliveMs: parsed.WS_KEEPALIVE_MS, uploadPace: { minBytesPerSecond: parsed.UPLOAD_MIN_BYTES_PER_SECOND, graceMs: parsed.UPLOAD_RATE_GRACE_MS, maxDurationMs: parsed.UPLOAD_MAX_DURATION_MS }, downloadPace: { minBytesPerSecond: parsed.DOWNLOAD_MIN_BYTES_PER_SECOND, graceMs: parsed.DOWNLOAD_RATE_GRACE_MS, maxDurationMs: parsed.DOWNLOAD_MAX_DURATION_MS }, answerPace: { minBytesPerSecond: parsed.ANSWER_MIN_BYTES_PER_SECOND, graceMs: parsed.ANSWER_RATE_GRACE_MS } },
      requestMetrics: toMonitoringOptions(parsed).requestMetrics,
      metering: toMeteringOptions(parsed),
      access: { roleSource: parsed.ROLE_SOURCE, cacheTtlMs: parsed.ACCESS_CACHE_TTL_MS, usageFlushIntervalMs: parsed.API_KEY_USAGE_FLUSH_MS },
      persistedDocuments: { mode: parsed.PERSISTED_DOCUMENTS, trusted: trustedDocuments },
      preparedOperations: { maxOperations: parsed.PREPARED_OPERATIONS_MAX },
    },
  };
}

function toMembersOptions(parsed: { ROLE_SOURCE: 'claims' | 'members'; INVITATION_TTL_HOURS: number }) {
  return { roleSource: parsed.ROLE_SOURCE, invitationTtlHours: parsed.INVITATION_TTL_HOURS };
}

function toJobReconcilerOptions(parsed: { JOB_RECONCILE_INTERVAL_MS: number; JOB_RECONCILE_GRACE_MS: number }) {
  return { intervalMs: parsed.JOB_RECONCILE_INTERVAL_MS, graceMs: parsed.JOB_RECONCILE_GRACE_MS };
}

function toUploadSpoolOptions(parsed: { CSV_UPLOAD_SPOOL_DIR?: string | undefined; CSV_UPLOAD_SPOOL_BYTES?: number | undefined; CSV_UPLOAD_SPOOL_PER_TENANT_BYTES?: number | undefined }) {
  return {
    ...(parsed.CSV_UPLOAD_SPOOL_DIR ? { dir: parsed.CSV_UPLOAD_SPOOL_DIR } : {}),
    ...(parsed.CSV_UPLOAD_SPOOL_BYTES !== undefined ? { totalBytes: parsed.CSV_UPLOAD_SPOOL_BYTES } : {}),
    ...(parsed.CSV_UPLOAD_SPOOL_PER_TENANT_BYTES !== undefined ? { perTenantBytes: parsed.CSV_UPLOAD_SPOOL_PER_TENANT_BYTES } : {}),
  };
}

function toInferenceOptions(parsed: z.infer<typeof subgraphVariableGroups.inference>) {
  const maxBacklogBytes = parsed.INFERENCE_STATS_LOG_MAX_MB * 1024 ** 2;
  return {
    pools: toInferencePoolsOptions(parsed),
    stats: {
      ...(parsed.INFERENCE_STATS_LOG_DIR ? { logDirectory: parsed.INFERENCE_STATS_LOG_DIR } : {}),
      maxBacklogBytes,
      // A quarter of the bound unless set; never more than the bound.
      maxBacklogBytesPerTenant: Math.min(maxBacklogBytes, parsed.INFERENCE_STATS_LOG_PER_TENANT_MB !== undefined ? parsed.INFERENCE_STATS_LOG_PER_TENANT_MB * 1024 ** 2 : Math.floor(maxBacklogBytes / 4)),
    },
  };
}

function toCsvParsingOptions(parsed: z.infer<typeof subgraphVariableGroups.csvParsing>) {
  return {
    ...(parsed.CSV_PARSE_WORKERS !== undefined ? { workers: parsed.CSV_PARSE_WORKERS } : {}),
    ...(parsed.CSV_PARSE_WORKERS_PER_TENANT !== undefined ? { perTenant: parsed.CSV_PARSE_WORKERS_PER_TENANT } : {}),
    ...(parsed.CSV_PARSE_QUEUE_TIMEOUT_MS !== undefined ? { queueTimeoutMs: parsed.CSV_PARSE_QUEUE_TIMEOUT_MS } : {}),
    ...(parsed.CSV_PARSE_QUEUE_PER_TENANT !== undefined ? { maxQueuedPerTenant: parsed.CSV_PARSE_QUEUE_PER_TENANT } : {}),
    ...(parsed.CSV_PARSE_WORKER_HEAP_MB !== undefined ? { workerHeapMb: parsed.CSV_PARSE_WORKER_HEAP_MB } : {}),
  };
}

function toModelUploadOptions(parsed: { MODEL_UPLOAD_MEMORY_BYTES: number; MODEL_UPLOAD_MEMORY_HOLD_MS: number; MODEL_VALIDATION_THREADS: number }) {
  return { memoryBytes: parsed.MODEL_UPLOAD_MEMORY_BYTES, memoryHoldMs: parsed.MODEL_UPLOAD_MEMORY_HOLD_MS, validationThreads: parsed.MODEL_VALIDATION_THREADS };
}

/** A subgraph cuts a streamed upload idle for twice the gateway's idle timeout: the gateway, alive, always cuts first. */
export function uploadStallMsFor(transferIdleTimeoutMs: number): number {
  return 2 * transferIdleTimeoutMs;
}

export function readSubgraphEnvironment(name: SubgraphName, env: NodeJS.ProcessEnv = process.env) {
  // One parse of the whole schema reports every bad or missing variable at once; the typed
  // reads below then cannot fail.
  parseEnvironment(subgraphEnvironment(name), env);
  const has = (group: SubgraphVariableGroup) => subgraphVariableGroupsOf(name).includes(group);
  const parsed = subgraphBaseEnvironment.parse(env);
  const storage = has('storage') ? subgraphVariableGroups.storage.parse(env) : undefined;
  const keys = storage ?? (has('keys') ? subgraphVariableGroups.keys.parse(env) : undefined);
  const regions = toRegionsConfig(parsed);
  const objectStore = storage ? toObjectStoreConfig(storage) : undefined;
  return {
    port: parsed.PORT,
    host: parsed.LISTEN_HOST,
    requestBodyTimeoutMs: parsed.REQUEST_BODY_TIMEOUT_MS,
    uploadStallMs: uploadStallMsFor(parsed.TRANSFER_IDLE_TIMEOUT_MS),
    /** Read when the subgraph starts (main.ts). */
    tls: { files: toTlsFiles(parsed), allowedClients: parsed.TLS_ALLOWED_CLIENTS },
    telemetry: toTelemetryConfig(parsed),
    regions: parsed.DATA_REGIONS,
    auditChain: has('auditChain') ? toAuditChainConfig(subgraphVariableGroups.auditChain.parse(env)) : undefined,
    alerting: has('alerting') ? toAlertingConfig(subgraphVariableGroups.alerting.parse(env)) : undefined,
    monitoring: has('monitoring') ? toMonitoringOptions(subgraphVariableGroups.monitoring.parse(env)) : undefined,
    erasure: has('erasure') ? toErasureConfig(subgraphVariableGroups.erasure.parse(env)) : undefined,
    members: has('members') ? toMembersOptions(subgraphVariableGroups.members.parse(env)) : undefined,
    modelUploads: has('modelUploads') ? toModelUploadOptions(subgraphVariableGroups.modelUploads.parse(env)) : undefined,
    jobReconciler: has('jobReconciler') ? toJobReconcilerOptions(subgraphVariableGroups.jobReconciler.parse(env)) : undefined,
    jobRetry: has('jobRetry') ? { backoffMs: subgraphVariableGroups.jobRetry.parse(env).JOB_RETRY_BACKOFF_MS } : undefined,
    uploadSpool: has('csvUploads') ? toUploadSpoolOptions(subgraphVariableGroups.csvUploads.parse(env)) : undefined,
    inference: has('inference') ? toInferenceOptions(subgraphVariableGroups.inference.parse(env)) : undefined,
    csvParsing: has('csvParsing') ? toCsvParsingOptions(subgraphVariableGroups.csvParsing.parse(env)) : undefined,
    datasetReads: has('datasetReads') ? { maxProfileBytesPerRequest: subgraphVariableGroups.datasetReads.parse(env).DATASET_PROFILE_BYTES_PER_REQUEST } : undefined,
    retention: has('retention') ? toRetentionOptions(subgraphVariableGroups.retention.parse(env)) : undefined,
    ports: {
      SERVICE_KEY: parsed.SERVICE_KEY,
      PORT_CALLER_KEYS: parsed.PORT_CALLER_KEYS,
      ...(portUrlVariables(name).parse(env) as Record<string, string | undefined>),
    },
    runtime: {
      database: toDatabaseConfig(parsed),
      objectStore: storage && objectStore ? { ...objectStore, regions: toRegionObjectStores(storage, objectStore, regions) } : undefined,
      regions,
      redis: toRedisConfig(parsed),
      keyProvider: keys ? toKeyProviderConfig(keys) : undefined,
      internalContextPublicKey: parsed.INTERNAL_CONTEXT_PUBLIC_KEY,
      tenantCacheTtlMs: parsed.TENANT_CACHE_TTL_MS,
      tenantLimitDefaults: parsed.TENANT_LIMIT_DEFAULTS,
      metering: toMeteringOptions(parsed),
    },
  };
}

/** `tessera migrate`: the migrator account and the service accounts' hosts, nothing else. */
export const migratorEnvironment = migratorVariables.extend({ LOG_LEVEL: logLevel() });

export function readMigratorEnvironment(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnvironment(migratorEnvironment, env);
  return { migrator: toMigratorConfig(parsed), logLevel: parsed.LOG_LEVEL };
}

/**
 * `tessera keys import-master-key`: the tenants service's database account and certificate, the
 * key provider, and the retired master key (LEGACY_MASTER_KEY) — which no long-running service reads.
 */
export const masterKeyImportEnvironment = databaseVariables
  .extend(keyProviderVariables.shape)
  .extend(tlsVariables.shape)
  .extend({ LEGACY_MASTER_KEY: base64Key32(), LOG_LEVEL: logLevel() });

export function readMasterKeyImportEnvironment(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnvironment(masterKeyImportEnvironment, env);
  return {
    database: toDatabaseConfig(parsed),
    keyProvider: toKeyProviderConfig(parsed),
    tls: toTlsFiles(parsed),
    legacyMasterKey: Buffer.from(parsed.LEGACY_MASTER_KEY, 'base64'),
    logLevel: parsed.LOG_LEVEL,
  };
}
