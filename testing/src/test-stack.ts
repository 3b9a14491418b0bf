import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainAuditOutbox, settleDeferredRecords } from '@tessera/audit-client';
import { generateInternalKeyPair, generateServiceKeyPair, type Role } from '@tessera/auth';
import { createLogger, type DatabaseConfig, type LogLevel, type MigratorConfig, type RedisConfig } from '@tessera/config';
import { fetchClientCredentialsToken, registerClient } from '@tessera/dev-issuer/client';
import { ensureLocalPki, trustCaInThisProcess, startIssuerProcess, startS3Server, type LocalPki, type RunningIssuerProcess, type RunningS3Server } from '@tessera/local-infra';
import { defaultAlertingConfig } from '@tessera/audit';
import { serviceData, startPlatform, subgraphModules, type PlatformConfig, type RunningPlatform } from '@tessera/platform';
import { createServiceRuntime, dedicatedWorkerIdentity, keyringColumnKeys, sealedAuditDetails, type ServiceRuntime } from '@tessera/service-kit';
import { startTelemetry } from '@tessera/telemetry';
import type { DataSource } from 'typeorm';
import type { JWK } from 'jose';
import { closeDedicatedWorkerAccount, databaseUrlOnServer, dedicatedWorkerDatabaseUrl, dropControlPlane, openDedicatedWorkerAccount, localAccountHosts, localServiceDatabaseUrls, migrateDeployment, openMigrationDataSource, quoteIdentifier, tenantBucketName, tenantSchemaName, type TenantLimitOverrides, type TenantTier } from '@tessera/tenancy';
import { openRedis } from '@tessera/job-queue';
import { startWorkerProcess, type RunningWorkerProcess, type WorkerProcessOptions } from '@tessera/workers';
import { startKeyServiceProcess, type RunningKeyServiceProcess } from '@tessera/key-service';
import { postGraphQL, type GraphQLResponse } from './graphql-client';
import { createTestRedisUsers } from './test-redis-users';


export const testAudience = 'https://api.tessera.test';

export interface TestTenant {
  id: string;
  bucket: string;
  schema: string;
  /** A real access token from the real issuer for a user of this tenant with `role`. */
  token(role: Exclude<Role, 'platform_admin'>): Promise<string>;
}

export interface TestStack {
  /**
   * The running platform; each service runs as its own database account (`platform.runtimes`).
   * `platform.runtime` is the tests' own runtime, as the migrator account: it sees and arranges
   * every table (what a test inspects or sets up is not what a service may do).
   */
  platform: RunningPlatform;
  /** The migrator account the stack migrated with (and drops with). */
  migrator: MigratorConfig;
  issuer: RunningIssuerProcess;
  s3: RunningS3Server;
  /** The local key service (its own process and state directory): the key-encryption keys live there only. */
  keyService: RunningKeyServiceProcess;
  config: PlatformConfig;
  /** The local CA and the service certificates (`.tessera/pki`, or TESSERA_PKI_DIR): the stack runs over TLS with them. */
  pki: LocalPki;
  graphqlUrl: string;
  gatewayUrl: string;
  /** Provisions a fresh tenant (own schema, bucket, key) through the real provisioner. */
  createTenant(options?: { tier?: TenantTier; limits?: PlatformTenantLimits; region?: string }): Promise<TestTenant>;
  /** A token for any claims: registers a client at the issuer and runs client_credentials. */
  issueToken(claims: { tenant?: string; roles: string[]; tokenTtlSeconds?: number; resource?: string; email?: string; emailVerified?: boolean }): Promise<string>;
  platformAdminToken(): Promise<string>;
  query<T = Record<string, unknown>>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /**
   * SQL as the migrator account (DATABASE_ADMIN_URL): for what the service account may not do,
   * e.g. creating a squatter schema, or tampering with append-only audit rows to prove detection.
   */
  adminQuery<T = unknown>(sql: string, params?: unknown[]): Promise<T>;
  /** `adminQuery` on another database server (`host:port`, e.g. a region's from `regionDatabases`). */
  adminQueryOn<T = unknown>(server: string, sql: string, params?: unknown[]): Promise<T>;
  /** Moves the tenant's audit outbox into its hash chain now (`audit_events`), instead of waiting for the relay. */
  /** Writes what is pending (records written just after an answer, then the tenant's outbox) into its chain. */
  drainAudit(tenantId: string): Promise<number>;
  /** Job worker child processes against this stack (`options.workers` of them start with it). */
  workers: TestWorkers;
  /** The worker processes' service key (SERVICE_KEY): tests call the ports as the workers do. */
  workerServiceKey: JWK;
  /** The metrics service's key, as a metrics process split from the others would sign its port calls. */
  metricsServiceKey: JWK;
  /** The tenants service's key, as a tenants process split from the others (erasure, re-encryption) would sign its port calls. */
  tenantsServiceKey: JWK;
  /** The datasets service's key, as a datasets process split from the jobs service would sign its port calls (the clearing of a deleted dataset's profiles). */
  datasetsServiceKey: JWK;
  stop(): Promise<void>;
}

/** Real worker processes (`workers/src/main.ts`), for job tests: kill one with `kill()` as `kill -9` would. */
export interface TestWorkers {
  start(options?: Partial<Pick<WorkerProcessOptions, 'concurrency' | 'dedicatedTenant' | 'region' | 'lockMs' | 'stalledIntervalMs' | 'env'>>): Promise<RunningWorkerProcess>;
  /** Every worker started and not yet stopped. */
  running(): RunningWorkerProcess[];
  /**
   * The credentials the workers of a ring call the ports with: the shared pool's service key and
   * `workers` certificate of `region` (default: the home region), or a dedicated tenant's own
   * certificate (`workers-dedicated-<tenant>` of `region`, default its tenant's region; issued on
   * first use, removed at stop) and no service key. `leaf` names the certificate for `pki.identity`.
   */
  identity(dedicatedTenant?: string, region?: string): Promise<{ serviceKey: JWK | undefined; files: { certFile: string; keyFile: string }; leaf: string }>;
  /** The Redis account the workers of a ring connect with (the shared pool's, or a dedicated tenant's): a supervisor reads that ring with it. */
  redis(dedicatedTenant?: string): Promise<RedisConfig>;
  /** The database URL the workers of a ring connect with: the shared `tessera_workers`, or a dedicated tenant's own account (made on first use). */
  databaseUrl(dedicatedTenant?: string): Promise<string>;
  stopAll(): Promise<void>;
}

type PlatformTenantLimits = TenantLimitOverrides;

export interface TestStackOptions {
  /** Gateway JWKS refetch cooldown; short in tests that rotate issuer keys. */
  jwksCooldownMs?: number;
  /** How long the gateway and subgraphs cache a tenant's record; 0 (the default here) reads MySQL on every request. */
  tenantCacheTtlMs?: number;
  /** Worker child processes to start with the stack (default 0), and their settings. */
  workers?: number;
  workerOptions?: Partial<Pick<WorkerProcessOptions, 'concurrency' | 'lockMs' | 'stalledIntervalMs' | 'env'>>;
  /** Request-metrics buckets and anomaly detection windows (short in monitoring tests). */
  monitoring?: PlatformConfig['monitoring'];
  /** How often the audit service's background relay sweeps the outboxes (default 200 ms; benchmarks set it high to time the relay alone). */
  auditRelayIntervalMs?: number;
  /** How often the relay looks at every tenant's outbox, not only those with recent events (default 5 × the relay interval). */
  auditRelayFullSweepIntervalMs?: number;
  /** Inference pools and prediction quotas of the models service (e.g. a pinned quota clock). */
  inference?: PlatformConfig['inference'];
  /** The models service's upload memory budget and validation threads (defaults when omitted; upload tests make the budget small). */
  modelUploads?: PlatformConfig['modelUploads'];
  /** The datasets service's CSV parsing threads (pool size, per-tenant cap, queue wait, thread heap). */
  csvParsing?: PlatformConfig['csvParsing'];
  /** The datasets service's upload spool (directory, total and per-tenant bytes). */
  uploadSpool?: PlatformConfig['uploadSpool'];
  /** The gateway's per-address budget of failed authentications per minute (the platform default when omitted). */
  authFailuresPerMinutePerAddress?: number;
  /** The gateway's uploads and downloads per tenant at once and their idle timeout (defaults when omitted; tests shorten the timeout). */
  transfers?: PlatformConfig['transfers'];
  requestBodyTimeoutMs?: PlatformConfig['requestBodyTimeoutMs'];
  subscriptionKeepAliveMs?: PlatformConfig['subscriptionKeepAliveMs'];
  /** Usage meters' flush interval, budget cache and stored-bytes sampling (metering tests shorten them). */
  metering?: PlatformConfig['metering'];
  /**
   * Alerting of the audit service over its defaults. Tests that receive webhooks on a local
   * receiver must allow its address explicitly (`webhookAllowedPrivateRanges: ['127.0.0.1/32']`):
   * by default, like in production, loopback is refused.
   */
  alerting?: Partial<NonNullable<PlatformConfig['alerting']>>;
  /** Lifetime of the gateway's internal contexts (default 30 s; the expiry test shortens it). */
  internalContextLifetimeSeconds?: number;
  /**
   * Another object store in place of the in-process s3rver, e.g. Ceph RGW with
   * `credentials: { mode: 'sts', … }` where bucket policies are what the test is about.
   */
  objectStore?: Partial<Pick<PlatformConfig['objectStore'], 'endpoint' | 'accessKey' | 'secretKey' | 'credentials' | 'regions'>>;
  /** DATA_REGIONS (default us-east-1 and eu-west-1, both in the one store unless `objectStore.regions` names stores). */
  regions?: string[];
  /**
   * REGION_DATABASES: region → `host:port` of the server holding its tenant schemas (the local
   * second server is 127.0.0.1:3307, scripts/local-region-mariadb.sh). Default: all on the one server.
   */
  regionDatabases?: Record<string, string>;
  /** The gateway's ROLE_SOURCE and membership / API-key cache (default: roles from token claims, as every other test file expects). */
  access?: PlatformConfig['access'];
  /** INVITATION_TTL_HOURS of the tenants service (default 168). */
  invitationTtlHours?: number;
  /** The pace of the rewrap after a key-encryption key rotation (tests slow it down to act while it runs). */
  keyRewrap?: PlatformConfig['keyRewrap'];
  /** The jobs service's reconciliation of unfinished rows with their queue entries (off unless given). */
  jobReconciler?: PlatformConfig['jobReconciler'];
  /** JOB_RETRY_BACKOFF_MS of the jobs service (default 1 s; tests of retries shorten it). */
  jobRetryBackoffMs?: number;
  /** DATASET_PROFILE_BYTES_PER_REQUEST of the datasets service (default 8 MiB; its test lowers it rather than storing megabytes of profiles). */
  datasetProfileBytesPerRequest?: number;
  /** Browser origins the gateway allows besides Apollo Studio (the web console's, in its end-to-end test). */
  corsOrigins?: string[];
}

const databaseAdminUrl = process.env['DATABASE_ADMIN_URL'] ?? 'mysql://tessera_admin:tessera-admin-local-dev@127.0.0.1:3306';

/**
 * Starts the whole platform against the real services: an OIDC issuer (child process), an
 * S3-compatible server, MariaDB (a fresh control-plane schema for this test file), the six
 * subgraphs and the gateway on free ports. Everything it creates is removed by `stop()`.
 */
/** TEST_LOG_LEVEL (debug | info | warn | error | silent) overrides a component's default level in tests. */
function testLogLevel(fallback: LogLevel): LogLevel {
  const requested = process.env['TEST_LOG_LEVEL'];
  const levels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
  return levels.find((level) => level === requested) ?? fallback;
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  startTelemetry({ serviceName: 'tessera-test', exporter: 'memory' });
  // Everything runs over TLS with the local CA (created on the first start); the test's own
  // clients (fetch, ws, node:https) trust it like a developer's shell would.
  const pki = ensureLocalPki();
  trustCaInThisProcess(pki.ca);
  const suffix = randomBytes(4).toString('hex');
  const s3Credentials = { accessKey: `test${suffix}`, secretKey: randomBytes(16).toString('hex') };
  const keyStateDirectory = mkdtempSync(join(tmpdir(), 'tessera-test-keys-'));
  // Each service connects as its own account (scripts/local-services.sh creates them).
  const accounts = localServiceDatabaseUrls();
  // Over TLS, as every Tessera account requires: local-services.sh gives MariaDB a certificate of this CA.
  const regionServers = options.regionDatabases ? { regionServers: options.regionDatabases } : {};
  const database: DatabaseConfig = { url: accounts.tenants, controlSchema: `tessera_test_${suffix}`, poolSize: 8, tlsCa: pki.ca, ...regionServers };
  const migrator: MigratorConfig = {
    adminUrl: databaseAdminUrl,
    controlSchema: database.controlSchema,
    accountHosts: process.env['DATABASE_ACCOUNT_HOSTS']?.split(',') ?? localAccountHosts,
    tlsCa: pki.ca,
    ...regionServers,
  };
  const starting = Promise.all([
    // The issuer and the object store speak HTTPS only, with the local CA's `oidc` and `s3` leaves.
    startIssuerProcess({ audience: testAudience, tls: pki.files('oidc') }),
    startS3Server({ ...s3Credentials, tls: pki.identity('s3') }),
    // The key provider: a key service of this stack's own, so a test that rotates or retires the KEK touches no other.
    startKeyServiceProcess({ stateDirectory: join(keyStateDirectory, 'keys'), tls: { caFile: pki.caFile, ...pki.files('keys') } }),
    generateInternalKeyPair(),
    // The worker processes' service identity: they reach the jobs, datasets and models ports with it.
    generateServiceKeyPair(),
    // A metrics process's, for tests that run it split from the owners of the ports it reads.
    generateServiceKeyPair(),
    // The jobs service's key: it signs job grants (tests sign expired ones with it).
    generateServiceKeyPair(),
    // A tenants process's, for tests that run it split from the audit service (erasure receipts).
    generateServiceKeyPair(),
    // A datasets process's, for tests that run it split from the jobs service.
    generateServiceKeyPair(),
  ]);
  // A prefix per test file: queues and channels of parallel test files never meet (nor, with the ACL on, their users).
  const redisUsersStarting = createTestRedisUsers(`ttest-${suffix}`);
  // As in a deployment: the migrate step first, then the services, which cannot migrate. It needs
  // none of the processes above, so it runs while they start (most of it is the database's work).
  const migrating = migrateDeployment(migrator, serviceData);
  const [startedServices, startedRedisUsers, migrated] = await Promise.allSettled([starting, redisUsersStarting, migrating]);
  if (startedServices.status === 'rejected' || startedRedisUsers.status === 'rejected' || migrated.status === 'rejected') {
    if (startedServices.status === 'fulfilled') {
      const [startedIssuer, startedS3, startedKeyService] = startedServices.value;
      await Promise.all([startedIssuer.stop(), startedS3.close(), startedKeyService.stop()]).catch(() => undefined);
    }
    if (startedRedisUsers.status === 'fulfilled') await startedRedisUsers.value.close().catch(() => undefined);
    await dropControlPlane(migrator).catch(() => undefined);
    rmSync(keyStateDirectory, { recursive: true, force: true });
    throw [startedServices, startedRedisUsers, migrated].find((result) => result.status === 'rejected')!.reason;
  }
  const [issuer, s3, keyService, internalContextKeys, workerKeys, metricsKeys, jobsServiceKeys, tenantsKeys, datasetsKeys] = startedServices.value;
  const redisUsers = startedRedisUsers.value;
  const config: PlatformConfig = {
    logger: createLogger(testLogLevel('silent')),
    database,
    databaseAccounts: accounts,
    objectStore: { endpoint: s3.endpoint, ...s3Credentials, defaultRegion: 'us-east-1', bucketPrefix: 'tessera', tlsCaFile: pki.caFile, ...options.objectStore },
    redis: redisUsers.shared,
    ...(redisUsers.byService ? { redisByService: redisUsers.byService } : {}),
    keyProvider: { url: keyService.url, keyName: 'tessera', mount: 'transit', tlsCa: pki.ca, token: undefined },
    internalContextKeys,
    tls: pki.identity,
    ...(options.internalContextLifetimeSeconds ? { internalContextLifetimeSeconds: options.internalContextLifetimeSeconds } : {}),
    oidc: {
      issuerUrl: issuer.issuerUrl,
      audience: testAudience,
      algorithms: ['ES256', 'RS256'],
      tenantClaim: 'tenant',
      rolesClaim: 'roles',
      jwksCooldownMs: options.jwksCooldownMs ?? 30_000,
      jwksCacheMaxAgeMs: 600_000,
      clockToleranceSeconds: 0,
      tlsCa: pki.ca,
    },
    gatewayPort: 0,
    regions: options.regions ?? ['us-east-1', 'eu-west-1'],
    tenantCacheTtlMs: options.tenantCacheTtlMs ?? 0,
    corsOrigins: ['https://studio.apollographql.com', ...(options.corsOrigins ?? [])],
    maxUploadBytes: 1024 * 1024 * 1024,
    // A fresh audit signing key per stack; the relay sweeps often, periodic checkpoints are off
    // (tests sign on demand and drain with stack.drainAudit, so nothing depends on timing).
    auditChain: {
      signingKey: generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as { kty: string },
      verifyKeys: [],
      relayIntervalMs: options.auditRelayIntervalMs ?? 200,
      relayFullSweepIntervalMs: options.auditRelayFullSweepIntervalMs ?? 5 * (options.auditRelayIntervalMs ?? 200),
      checkpointIntervalMs: 0,
      checkpointRetentionDays: 0,
    },
    ...(options.monitoring ? { monitoring: options.monitoring } : {}),
    ...(options.inference ? { inference: options.inference } : {}),
    ...(options.modelUploads ? { modelUploads: options.modelUploads } : {}),
    ...(options.csvParsing ? { csvParsing: options.csvParsing } : {}),
    ...(options.uploadSpool ? { uploadSpool: options.uploadSpool } : {}),
    ...(options.keyRewrap ? { keyRewrap: options.keyRewrap } : {}),
    // Off unless a test asks for it: tests seed unfinished job rows with no queue entry behind them.
    jobReconciler: options.jobReconciler ?? { intervalMs: 0, graceMs: 0 },
    ...(options.jobRetryBackoffMs !== undefined ? { jobRetry: { backoffMs: options.jobRetryBackoffMs } } : {}),
    ...(options.datasetProfileBytesPerRequest !== undefined ? { datasetReads: { maxProfileBytesPerRequest: options.datasetProfileBytesPerRequest } } : {}),
    ...(options.metering ? { metering: options.metering } : {}),
    ...(options.alerting ? { alerting: { ...defaultAlertingConfig, ...options.alerting } } : {}),
    ...(options.authFailuresPerMinutePerAddress ? { authFailuresPerMinutePerAddress: options.authFailuresPerMinutePerAddress } : {}),
    ...(options.transfers ? { transfers: options.transfers } : {}),
    ...(options.requestBodyTimeoutMs !== undefined ? { requestBodyTimeoutMs: options.requestBodyTimeoutMs } : {}),
    ...(options.subscriptionKeepAliveMs !== undefined ? { subscriptionKeepAliveMs: options.subscriptionKeepAliveMs } : {}),
    portCallerKeys: { workers: workerKeys.publicJwk, metrics: metricsKeys.publicJwk, tenants: tenantsKeys.publicJwk, datasets: datasetsKeys.publicJwk },
    jobsServiceKeys,
    ...(options.access ? { access: options.access } : {}),
    ...(options.invitationTtlHours ? { invitationTtlHours: options.invitationTtlHours } : {}),
  };
  let platform: RunningPlatform;
  let inspection: ServiceRuntime | undefined;
  try {
    const started = await startPlatform(config);
    inspection = await createServiceRuntime(
      // The tests' runtime reaches the key provider as the tenants service, the keys' owner.
      { ...platformRuntimeConfig(config), keyProvider: { ...config.keyProvider, clientIdentity: pki.identity('tenants') }, database: { ...database, url: databaseAdminUrl } },
      config.logger,
      subgraphModules.flatMap((module) => module.entities),
    ).catch(async (error: unknown) => {
      await started.stop();
      throw error;
    });
    const tests = inspection;
    platform = { ...started, runtime: tests, stop: async () => { await started.stop(); await tests.close(); } };
  } catch (error) {
    await dropControlPlane(migrator).catch(() => undefined);
    await issuer.stop();
    await s3.close();
    await keyService.stop();
    rmSync(keyStateDirectory, { recursive: true, force: true });
    await redisUsers.close();
    throw error;
  }
  const tenants: string[] = [];
  const admins = new Map<string, Promise<DataSource>>();
  const adminSourceOn = (server: string | undefined) => {
    const key = server ?? '';
    let source = admins.get(key);
    if (!source) {
      source = openMigrationDataSource(server === undefined ? migrator : { ...migrator, adminUrl: databaseUrlOnServer(migrator.adminUrl, server) }, undefined, []);
      admins.set(key, source);
    }
    return source;
  };
  const adminSource = () => adminSourceOn(undefined);
  const tokenCache = new Map<string, Promise<string>>();

  const issueToken: TestStack['issueToken'] = async (claims) => {
    const client = await registerClient(issuer.issuerUrl, issuer.registrationToken, {
      ...(claims.tenant ? { tenant: claims.tenant } : {}),
      roles: claims.roles,
      ...(claims.tokenTtlSeconds ? { tokenTtlSeconds: claims.tokenTtlSeconds } : {}),
      ...(claims.email !== undefined ? { email: claims.email, emailVerified: claims.emailVerified ?? false } : {}),
    });
    return fetchClientCredentialsToken(issuer.issuerUrl, client.clientId, client.clientSecret, claims.resource);
  };
  const cachedToken = (tenant: string | undefined, roles: string[]) => {
    const key = `${tenant ?? ''}|${roles.join(',')}`;
    let token = tokenCache.get(key);
    if (!token) {
      token = issueToken({ ...(tenant ? { tenant } : {}), roles });
      tokenCache.set(key, token);
    }
    return token;
  };

  const workerProcesses = new Set<RunningWorkerProcess>();
  // A dedicated tenant's workers get a certificate of their own (issued on first start, removed at stop) and no service key.
  // Every worker certificate names the region whose jobs it runs (the port owners check it).
  const dedicatedIdentities = new Map<string, { name: string; region: string }>();
  const workerIdentity: TestWorkers['identity'] = async (dedicatedTenant, region) => {
    if (!dedicatedTenant) {
      const { leaf, ...files } = pki.clientIdentity('workers', region ?? config.regions[0]!);
      return { serviceKey: workerKeys.privateJwk, files, leaf };
    }
    const name = dedicatedWorkerIdentity(dedicatedTenant);
    const tenantRegion = region ?? (await tenantRegionOf(dedicatedTenant));
    dedicatedIdentities.set(`${name}.${tenantRegion}`, { name, region: tenantRegion });
    const { leaf, ...files } = pki.clientIdentity(name, tenantRegion);
    return { serviceKey: undefined, files, leaf };
  };
  const tenantRegionOf = async (tenantId: string): Promise<string> => {
    const [row] = (await (await adminSource()).query(`SELECT region FROM ${quoteIdentifier(config.database.controlSchema)}.tenants WHERE id = ?`, [tenantId])) as Array<{ region: string }>;
    return row?.region ?? config.regions[0]!;
  };
  const removeDedicatedIdentities = () => {
    for (const { name, region } of dedicatedIdentities.values()) pki.removeClientIdentity(name, region);
  };
  // And a database account of their own (tessera_workers_<tenant>, confined to that tenant), made on
  // first start with a random password and dropped at stop.
  const dedicatedAccounts = new Map<string, Promise<string>>();
  const workerDatabaseUrl = (dedicatedTenant: string | undefined): Promise<string> => {
    if (!dedicatedTenant) return Promise.resolve(accounts.workers);
    let url = dedicatedAccounts.get(dedicatedTenant);
    if (!url) {
      const password = randomBytes(24).toString('hex');
      // On the home server and, for a tenant of a region with its own server, on that one too.
      url = openDedicatedWorkerAccount(migrator, dedicatedTenant, password).then(() => dedicatedWorkerDatabaseUrl(accounts.workers, dedicatedTenant, password));
      dedicatedAccounts.set(dedicatedTenant, url);
    }
    return url;
  };
  const closeDedicatedAccounts = async () => {
    for (const tenantId of dedicatedAccounts.keys()) await closeDedicatedWorkerAccount(migrator, tenantId).catch(() => undefined);
    dedicatedAccounts.clear();
  };
  const workers: TestWorkers = {
    start: async (workerOptions = {}) => {
      const identity = await workerIdentity(workerOptions.dedicatedTenant, workerOptions.region);
      const worker = await startWorkerProcess({
        database: { ...config.database, url: await workerDatabaseUrl(workerOptions.dedicatedTenant) },
        databaseTlsCaFile: pki.caFile,
        // No object store and no master key: a worker reaches objects only through the owners' job ports.
        redis: await redisUsers.worker(workerOptions.dedicatedTenant),
        ports: { serviceKey: identity.serviceKey, jobsUrl: platform.subgraphs.jobs.url, datasetsUrl: platform.subgraphs.datasets.url, modelsUrl: platform.subgraphs.models.url },
        tls: { caFile: pki.caFile, ...identity.files },
        // Short locks: a killed worker's job is recovered within seconds in tests.
        lockMs: 4_000,
        stalledIntervalMs: 2_000,
        ...options.workerOptions,
        ...workerOptions,
        // A worker routes tenant schemas like the services (REGION_DATABASES comes with its database config).
        ...(options.regionDatabases ? { env: { DATA_REGIONS: config.regions.join(','), ...options.workerOptions?.env, ...workerOptions.env } } : {}),
        logLevel: testLogLevel('warn'),
      });
      workerProcesses.add(worker);
      void worker.exited.then(() => workerProcesses.delete(worker));
      return worker;
    },
    running: () => [...workerProcesses],
    identity: workerIdentity,
    redis: (dedicatedTenant) => redisUsers.worker(dedicatedTenant),
    databaseUrl: workerDatabaseUrl,
    stopAll: async () => {
      await Promise.all([...workerProcesses].map((worker) => worker.stop()));
    },
  };
  try {
    for (let i = 0; i < (options.workers ?? 0); i++) await workers.start();
  } catch (error) {
    await workers.stopAll();
    removeDedicatedIdentities();
    await platform.stop();
    await Promise.all([issuer.stop(), s3.close(), keyService.stop(), redisUsers.close()]);
    rmSync(keyStateDirectory, { recursive: true, force: true });
    throw error;
  }

  return {
    platform,
    issuer,
    s3,
    keyService,
    config,
    pki,
    graphqlUrl: platform.gateway.graphqlUrl,
    gatewayUrl: platform.gateway.url,
    migrator,
    issueToken,
    platformAdminToken: () => cachedToken(undefined, ['platform_admin']),
    createTenant: async (tenantOptions = {}) => {
      const id = `t${randomBytes(5).toString('hex')}`;
      tenants.push(id);
      await platform.provisioner.provision({ id, displayName: `Test ${id}`, region: tenantOptions.region ?? 'us-east-1', tier: tenantOptions.tier ?? 'shared', limits: tenantOptions.limits });
      return {
        id,
        bucket: tenantBucketName('tessera', id),
        schema: `tenant_${id}`,
        token: (role) => cachedToken(id, [role]),
      };
    },
    query: (token, query, variables) => postGraphQL(platform.gateway.graphqlUrl, token, query, variables),
    adminQuery: async <T>(sql: string, params?: unknown[]) => (await (await adminSource()).query(sql, params)) as T,
    adminQueryOn: async <T>(server: string, sql: string, params?: unknown[]) => (await (await adminSourceOn(server)).query(sql, params)) as T,
    // Sealed like the audit service seals them: a tenant chain is never relayed with clear details.
    drainAudit: async (tenantId) => {
      await settleDeferredRecords(); // records written just after an answer (cross-tenant attempts) first
      return drainAuditOutbox(platform.runtime.db, tenantId, sealedAuditDetails(keyringColumnKeys(platform.runtime.keyring, tenantId)));
    },
    workers,
    workerServiceKey: workerKeys.privateJwk,
    metricsServiceKey: metricsKeys.privateJwk,
    tenantsServiceKey: tenantsKeys.privateJwk,
    datasetsServiceKey: datasetsKeys.privateJwk,
    stop: async () => {
      await workers.stopAll();
      removeDedicatedIdentities();
      await closeDedicatedAccounts();
      // The stack's own key service, object store and control plane go with it, so of its tenants
      // only the schemas (and the accounts' rights on them, which MariaDB keeps for a table of the
      // same name made later) would outlive the stop: those are dropped, by the routine the tenants
      // service erases with, once the services are down. A store the test brought (options.objectStore)
      // outlives the stack: there each tenant is erased whole, through the provisioner, first.
      const ownStore = options.objectStore === undefined;
      if (!ownStore) {
        // A few at a time: each erasure holds a pool connection for its tenant's lock and needs another for its work (pool of 8).
        const erasing = [...tenants];
        const eraseNext = async (): Promise<void> => {
          for (let id = erasing.shift(); id !== undefined; id = erasing.shift()) await platform.provisioner.deprovision(id).catch(() => undefined);
        };
        await Promise.all([eraseNext(), eraseNext(), eraseNext()]);
      }
      await platform.stop();
      const servers = [undefined, ...new Set(Object.values(options.regionDatabases ?? {}))];
      const control = quoteIdentifier(config.database.controlSchema);
      const dropTenantSchemas = async () => {
        if (!ownStore) return;
        for (const server of servers) {
          const admin = await adminSourceOn(server);
          for (const id of tenants) await admin.query(`CALL ${control}.drop_tenant_schema(?)`, [tenantSchemaName(id)]).catch(() => undefined);
        }
      };
      // Once the services are down nothing else depends on anything else: Redis, the database and the processes at once.
      await Promise.all([
        dropRedisKeys(config.redis)
          .catch(() => undefined)
          .then(() => redisUsers.close()),
        dropTenantSchemas()
          .catch(() => undefined)
          .then(() => dropControlPlane(migrator))
          .catch(() => undefined)
          .then(() => Promise.all([...admins.values()].map(async (source) => (await source).destroy()))),
        issuer.stop(),
        s3.close(),
        keyService.stop(),
      ]);
      rmSync(keyStateDirectory, { recursive: true, force: true });
    },
  };
}

/** The runtime settings every service of the stack shares (all but the database account). */
function platformRuntimeConfig(config: PlatformConfig) {
  return {
    serviceName: 'tessera-test',
    objectStore: config.objectStore,
    regions: { served: config.regions, home: config.regions[0]! },
    redis: config.redis,
    internalContextPublicKey: config.internalContextKeys.publicJwk,
    tenantCacheTtlMs: config.tenantCacheTtlMs,
    tenantLimitDefaults: config.tenantLimitDefaults,
    metering: config.metering,
  };
}

/** Removes every key of this stack's Redis prefix (queues, rings, leases), so test runs leave nothing behind. */
async function dropRedisKeys(redis: RedisConfig): Promise<void> {
  const client = openRedis(redis, 'test-cleanup', 'request');
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${redis.keyPrefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}
