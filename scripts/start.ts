/**
 * `npm start`: the whole platform on a developer machine, in this one process.
 *
 *   1. reads the environment (DATABASE_URL, REDIS_URL, GATEWAY_PORT, ISSUER_PORT, S3_PORT, CONSOLE_PORT,
 *      TRACING_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT, LOG_LEVEL, WEBHOOK_ALLOWED_PRIVATE_RANGES);
 *   2. checks MariaDB and Redis (starting local ones with scripts/local-services.sh when it can);
 *   3. loads or generates the local secrets (.tessera/secrets.json) and the local CA with every
 *      service's certificate (.tessera/pki, or TESSERA_PKI_DIR; scripts/local-pki.sh);
 *   4. starts telemetry, the dev OIDC issuer, the S3 server, the key service (`tessera keys`, a child
 *      process holding the key-encryption keys in .tessera/keys), the platform (six subgraphs +
 *      gateway), and the job workers as child processes under the worker supervisor (per ring: the shared
 *      pool, and each dedicated demo tenant's; restarted when they die, scaled on queue depth and wait);
 *   5. builds the web console if its build is stale and serves it (HTTPS, CONSOLE_PORT);
 *   6. provisions the demo tenants, users and dataset (idempotent), and prints URLs and tokens.
 *
 * Ctrl-C stops everything and exits 0. Exit codes: 1 start-up failure, 2 MariaDB/Redis missing.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateServiceKeyPair } from '@tessera/auth';
import { ConfigError, createLogger, exitOnUnhandledErrors } from '@tessera/config';
import { fetchClientCredentialsToken } from '@tessera/dev-issuer/client';
import { ensureLocalPki, startS3Server, trustCaInThisProcess } from '@tessera/local-infra';
import { serviceData, startPlatform } from '@tessera/platform';
import { dedicatedWorkerDatabaseUrl, importLegacyWrappedKeys, localAccountHosts, migrateDeployment, openDedicatedWorkerAccount, openServiceDataSource } from '@tessera/tenancy';
import { VaultTransitKeyProvider } from '@tessera/key-provider';
import { startKeyServiceProcess } from '@tessera/key-service';
import { startTelemetry } from '@tessera/telemetry';
import { readSupervisorEnvironment, startWorkerProcess, startWorkerSupervisor } from '@tessera/workers';
import { sharedPool, type WorkerPool } from '@tessera/job-queue';
import { dedicatedWorkerIdentity } from '@tessera/service-kit';
import { consoleClientId, distDirectory, ensureConsoleBuilt, startConsoleServer, type ConsoleRuntimeConfig } from '@tessera/console/server';
import { renderBanner } from './start/banner';
import { ensureDemoDataset, ensureDemoModel, provisionDemoTenants, demoDatasetName, demoModelInput, demoModelName } from './start/demo-data';
import { demoTenants, demoUsers } from './start/demo-users';
import { readLauncherEnvironment } from './start/environment';
import { LaunchError } from './start/launch-error';
import { preflight } from './start/preflight';
import { launcherRedisAccounts } from './start/redis-accounts';
import { forgetLegacyMasterKey, loadOrCreateSecrets, secretsFile, stateDirectory, type LocalSecrets } from './start/secrets';

const audience = 'https://api.tessera.local';
const tokenTtlSeconds = 8 * 3600;
const s3Directory = join(stateDirectory, 's3');

const say = (line: string) => process.stdout.write(`${line}\n`);
const shown = (path: string) => relative(process.cwd(), path) || path;

/** What is running, in start order; stopped in reverse. */
const running: Array<{ name: string; stop: () => Promise<void> }> = [];
let stopping = false;
let firstSignalAt = 0;

async function main(): Promise<void> {
  const env = readLauncherEnvironment();
  // SUPERVISOR_*: parsed now, so limits that cannot hold stop the start before anything runs.
  const supervisorConfig = readSupervisorEnvironment(process.env);
  say('Starting Tessera …');
  // The local CA before the preflight: the database accounts require TLS, verified with it.
  const pki = ensureLocalPki();
  const databaseTls = { caFile: env.databaseTlsCaFile ?? pki.caFile, ca: readFileSync(env.databaseTlsCaFile ?? pki.caFile, 'utf8') };
  await preflight(env, say, databaseTls.ca);

  const { secrets, created } = await loadOrCreateSecrets();
  say(created ? `Generated local secrets in ${shown(secretsFile)} (mode 0600, reused on later starts).` : `Using local secrets from ${shown(secretsFile)}.`);

  // Every hop is TLS: the gateway serves HTTPS/WSS, the subgraphs mutual TLS, all with the local CA.
  say(`Using the local CA in ${shown(pki.directory)} (created on first start; clients trust ${shown(pki.caFile)}).`);
  // This launcher is a client of the gateway too (demo data below).
  trustCaInThisProcess(pki.ca);

  const telemetry = startTelemetry({ serviceName: 'tessera', exporter: env.tracingExporter, otlpEndpoint: env.otlpEndpoint });
  running.push({ name: 'telemetry', stop: () => telemetry.shutdown() });

  // The web console first: the issuer needs its redirect URI and the gateway its origin (CORS).
  // Built here when its build is missing or older than its sources; served over HTTPS with the
  // gateway's certificate of the local CA (it names localhost). Its /config.json is filled in below.
  await ensureConsoleBuilt(say);
  let consoleConfig: ConsoleRuntimeConfig | undefined;
  const consoleServer = await startConsoleServer({
    root: distDirectory,
    port: env.consolePort,
    tls: pki.identity('gateway'),
    config: () => {
      if (!consoleConfig) throw new Error('the console is starting');
      return consoleConfig;
    },
  });
  running.push({ name: 'web console', stop: () => consoleServer.stop() });

  // oidc-provider is ESM-only: loaded with a dynamic import.
  const { startIssuer } = await import('@tessera/dev-issuer');
  const issuer = await startIssuer({
    port: env.issuerPort,
    audience,
    signingKeys: [secrets.issuerSigningKey],
    clients: demoUsers.map((user) => ({
      clientId: user.clientId,
      clientSecret: secrets.clientSecrets[user.clientId]!,
      ...(user.tenant ? { tenant: user.tenant } : {}),
      roles: [user.role],
    })),
    defaultTokenTtlSeconds: tokenTtlSeconds,
    // The console signs users in here (authorization code + PKCE; the dev-only sign-in page).
    browserClients: [{ clientId: consoleClientId, redirectUris: [`${consoleServer.url}/callback`], postLogoutRedirectUris: [`${consoleServer.url}/`] }],
    // HTTPS only, with the local CA's `oidc` leaf: the gateway verifies discovery and JWKS against the CA.
    tls: pki.identity('oidc'),
  });
  running.push({ name: 'OIDC issuer', stop: () => issuer.stop() });

  mkdirSync(s3Directory, { recursive: true, mode: 0o700 });
  const s3 = await startS3Server({ port: env.s3Port, directory: s3Directory, ...secrets.s3, tls: pki.identity('s3') });
  running.push({ name: 'S3 server', stop: () => s3.close() });

  // The key-encryption keys live in this child process alone (state in .tessera/keys, created on first start).
  const keyService = await startKeyServiceProcess({ stateDirectory: join(stateDirectory, 'keys'), tls: { caFile: pki.caFile, ...pki.files('keys') } });
  running.push({ name: 'key service', stop: () => keyService.stop() });
  const keyProvider = { url: keyService.url, keyName: 'tessera', mount: 'transit', tlsCa: pki.ca, token: undefined };
  say(`Key service (key-encryption keys) at ${keyService.url}, state in ${shown(join(stateDirectory, 'keys'))}.`);

  // `tessera migrate` first, as in a deployment: the services that start next cannot migrate.
  const controlSchema = 'tessera_control';
  await migrateDeployment({ adminUrl: env.databaseAdminUrl, controlSchema, accountHosts: localAccountHosts, tlsCa: databaseTls.ca }, serviceData);
  const database = { url: env.databaseUrls.tenants, controlSchema, poolSize: 10, tlsCa: databaseTls.ca };
  await importLegacyMasterKey(secrets, { ...database, poolSize: 2 }, { ...keyProvider, clientIdentity: pki.identity('tenants') });
  const objectStore = { endpoint: s3.endpoint, ...secrets.s3, defaultRegion: 'us-east-1', bucketPrefix: 'tessera', tlsCaFile: pki.caFile };
  const redisAccounts = launcherRedisAccounts(env.redisUrl, env.redisServiceUsers, 'tessera', process.env, env.redisTlsCaFile);
  // The workers' service identity for this run: they call the jobs, datasets and models ports with it.
  const workerKeys = await generateServiceKeyPair();
  const platform = await startPlatform({
    logger: createLogger(env.logLevel, { app: 'tessera' }),
    database,
    databaseAccounts: env.databaseUrls,
    objectStore,
    redis: redisAccounts.shared,
    ...(redisAccounts.byService ? { redisByService: redisAccounts.byService } : {}),
    keyProvider,
    internalContextKeys: secrets.internalContextKeys,
    tls: pki.identity,
    oidc: {
      issuerUrl: issuer.issuerUrl,
      audience,
      algorithms: ['ES256', 'RS256'],
      tenantClaim: 'tenant',
      rolesClaim: 'roles',
      jwksCooldownMs: 30_000,
      jwksCacheMaxAgeMs: 600_000,
      clockToleranceSeconds: 5,
      tlsCa: pki.ca,
    },
    gatewayPort: env.gatewayPort,
    publicUrl: env.gatewayPort === 0 ? undefined : `https://localhost:${env.gatewayPort}`,
    regions: ['us-east-1', 'eu-west-1'],
    tenantCacheTtlMs: 5_000,
    corsOrigins: ['https://studio.apollographql.com', 'http://localhost:3000', consoleServer.url],
    maxUploadBytes: 1024 * 1024 * 1024,
    // Audit chain: relayed every second, heads signed every 5 minutes with the generated local key.
    auditChain: { signingKey: secrets.auditSigningKey as { kty: string } | undefined, verifyKeys: [], relayIntervalMs: 1_000, checkpointIntervalMs: 300_000, checkpointRetentionDays: 0 },
    alerting: env.alerting,
    erasure: env.erasure,
    portCallerKeys: { workers: workerKeys.publicJwk },
  });
  running.push({ name: 'platform', stop: () => platform.stop() });

  // The demo tenants before their workers: a dedicated tenant's workers' database account is made for an existing tenant.
  const tenants = await provisionDemoTenants(platform);
  say(`Demo tenants: ${tenants.map((tenant) => `${tenant.id} (${tenant.replaced ? `re-created for this checkout: ${tenant.replaced}` : tenant.created ? 'created' : 'already there'})`).join(', ')}.`);

  // Jobs run in separate worker processes, as in production (`tessera worker`; more can run on other
  // machines against the same Redis and MariaDB). A dedicated-tier tenant's jobs run only on its own
  // ring's workers. The supervisor keeps each ring between its min and max workers (SUPERVISOR_*),
  // restarts one that dies and releases what it held, and adds workers while the ring's queue grows.
  const filesOf = ({ certFile, keyFile }: { certFile: string; keyFile: string }) => ({ certFile, keyFile });
  const workerOptions = {
    database: { ...database, url: env.databaseUrls.workers },
    databaseTlsCaFile: databaseTls.caFile,
    ports: { serviceKey: workerKeys.privateJwk, jobsUrl: platform.subgraphs.jobs.url, datasetsUrl: platform.subgraphs.datasets.url, modelsUrl: platform.subgraphs.models.url },
    // The home region's certificate (the shared ring below): the port owners serve a worker only the tenants of the region it names.
    tls: { caFile: pki.caFile, ...filesOf(pki.clientIdentity('workers', 'us-east-1')) },
    concurrency: 2,
    logLevel: env.logLevel === 'debug' ? ('debug' as const) : ('warn' as const),
  };
  const dedicatedDatabaseUrl = async (tenantId: string): Promise<string> => {
    const password = randomBytes(24).toString('hex');
    await openDedicatedWorkerAccount({ adminUrl: env.databaseAdminUrl, tlsCa: databaseTls.ca, controlSchema, accountHosts: localAccountHosts, regionServers: undefined }, tenantId, password);
    return dedicatedWorkerDatabaseUrl(env.databaseUrls.workers, tenantId, password);
  };
  const dedicatedTenants: Array<string | undefined> = demoTenants.filter((tenant) => tenant.tier === 'dedicated').map((tenant) => tenant.id);
  const rings = await Promise.all(
    [undefined, ...dedicatedTenants].map(async (dedicatedTenant) => {
      // One Redis account per ring, made once: a dedicated tenant's user is created here, for this run.
      const redis = await redisAccounts.worker(dedicatedTenant);
      // The shared workers run the home region's jobs (the first of the platform's regions).
      const pool: WorkerPool = dedicatedTenant ? { kind: 'dedicated', tenantId: dedicatedTenant } : sharedPool('us-east-1');
      // A dedicated ring's workers call the ports with a certificate of their own (workers-dedicated-<tenant>,
      // kept in the local CA's directory) and no service key: the owners serve them that tenant's jobs only.
      // And a database account of their own (tessera_workers_<tenant>: that tenant's rows only), made
      // (or re-passworded) for this run by the migrator, like the Redis user.
      const own = dedicatedTenant
        ? {
            ports: { ...workerOptions.ports, serviceKey: undefined },
            tls: { caFile: pki.caFile, ...filesOf(pki.clientIdentity(dedicatedWorkerIdentity(dedicatedTenant), demoTenants.find((tenant) => tenant.id === dedicatedTenant)!.region)) },
            database: { ...workerOptions.database, url: await dedicatedDatabaseUrl(dedicatedTenant) },
            dedicatedTenant,
          }
        : {};
      return { pool, redis, spawn: (instanceId: string) => startWorkerProcess({ ...workerOptions, redis, instanceId, ...own }) };
    }),
  );
  const supervisor = await startWorkerSupervisor({ config: supervisorConfig, rings, logger: createLogger(env.logLevel, { app: 'tessera' }) });
  running.push({ name: 'worker supervisor', stop: () => supervisor.stop() });
  for (const ring of supervisor.status()) {
    say(`Job workers for the ${ring.ring} ring: ${ring.workers.length} running (pid ${ring.workers.map((w) => w.pid).join(', ')}), between ${ring.limits.min} and ${ring.limits.max} by queue depth and wait.`);
  }
  const gatewayUrl = `https://localhost:${platform.gateway.port}`;
  const graphqlUrl = `${gatewayUrl}/graphql`;
  consoleConfig = { issuerUrl: issuer.issuerUrl, clientId: consoleClientId, audience, graphqlUrl };


  const token = (clientId: string) => fetchClientCredentialsToken(issuer.issuerUrl, clientId, secrets.clientSecrets[clientId]!);
  const tokens = await Promise.all(demoUsers.map(async (user) => ({ user, token: await token(user.clientId) })));
  const scientist = tokens.find((entry) => entry.user.clientId === 'acme-data-scientist')!;
  const dataset = await ensureDemoDataset(graphqlUrl, scientist.token);
  say(`Demo dataset ${demoDatasetName} in acme: ${dataset.created ? `uploaded (${dataset.rowCount} rows)` : `already there (${dataset.rowCount} rows)`}.`);
  const model = await ensureDemoModel(graphqlUrl, scientist.token);
  say(`Demo model ${demoModelName} in acme: ${model.created ? 'registered' : 'already there'} (version ${model.version} is production).`);

  say(
    renderBanner({
      graphqlUrl,
      consoleUrl: consoleServer.url,
      consolePasswords: secrets.clientSecrets,
      issuerUrl: issuer.issuerUrl,
      tokenEndpoint: await tokenEndpointOf(issuer.issuerUrl),
      s3Endpoint: s3.endpoint,
      s3Directory: shown(s3Directory),
      secretsFile: shown(secretsFile),
      caFile: shown(pki.caFile),
      tokens,
      curlUser: { clientId: 'acme-viewer', clientSecret: secrets.clientSecrets['acme-viewer']! },
      tokenTtlHours: tokenTtlSeconds / 3600,
      demoModel: { name: demoModelName, alias: 'production', inputName: demoModelInput },
    }),
  );
}

/**
 * An installation from before the key provider keeps its master key in secrets.json: the data keys
 * it wrapped move to the key service (as the tenants service, `tessera keys import-master-key` does
 * in a deployment), then the master key is deleted. Keys it does not open belong to another
 * checkout sharing this machine's database; the demo re-seeding below deals with those tenants.
 */
async function importLegacyMasterKey(secrets: LocalSecrets, database: { url: string; controlSchema: string; poolSize: number; tlsCa: string }, keyProvider: { url: string; keyName: string; mount: string; tlsCa: string; clientIdentity: { cert: string; key: string } }): Promise<void> {
  if (!secrets.masterKey) return;
  const provider = new VaultTransitKeyProvider({ ...keyProvider, ca: keyProvider.tlsCa });
  const db = await openServiceDataSource(database, []);
  try {
    const report = await importLegacyWrappedKeys(db, database.controlSchema, Buffer.from(secrets.masterKey, 'base64'), provider);
    say(`Moved ${report.imported} tenant data key(s) from the retired master key to the key service${report.notOpened ? ` (${report.notOpened} belong to another checkout and stay as they are)` : ''}; the master key is deleted from ${shown(secretsFile)}.`);
    forgetLegacyMasterKey(secrets);
  } finally {
    await db.destroy();
    provider.close();
  }
}

async function tokenEndpointOf(issuerUrl: string): Promise<string> {
  const response = await fetch(`${issuerUrl}/.well-known/openid-configuration`);
  const discovery = (await response.json()) as { token_endpoint?: string };
  return discovery.token_endpoint ?? `${issuerUrl}/token`;
}

async function stopAll(): Promise<void> {
  for (const { name, stop } of running.splice(0).reverse()) {
    await stop().catch((error: unknown) => process.stderr.write(`stopping the ${name} failed: ${error instanceof Error ? error.message : String(error)}\n`));
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof LaunchError) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    const port = (error as { port?: number }).port;
    return (
      `Port ${port ?? '(unknown)'} is already in use: is another \`npm start\` running?\n` +
      '  Stop it, or choose other ports with GATEWAY_PORT, ISSUER_PORT, S3_PORT and CONSOLE_PORT.'
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  const debug = process.env['LOG_LEVEL'] === 'debug';
  const more = debug ? (error instanceof Error ? `\n${error.stack}` : '') : '\n  (LOG_LEVEL=debug shows the stack trace and more logs.)';
  return `Tessera failed to start: ${message}${more}`;
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    // One Ctrl-C reaches this process several times at once (terminal, npm and tsx all relay it);
    // only a later one means "stop waiting".
    if (firstSignalAt === 0 || Date.now() - firstSignalAt < 2_000) return;
    process.stderr.write(`${signal} again: exiting without a clean stop.\n`);
    process.exit(1);
  }
  stopping = true;
  firstSignalAt = Date.now();
  say(`\n${signal}: stopping Tessera …`);
  const forced = setTimeout(() => {
    process.stderr.write('Clean stop took more than 15 s; exiting.\n');
    process.exit(1);
  }, 15_000);
  forced.unref();
  void stopAll().then(() => {
    say('Stopped.');
    process.exit(0);
  });
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

exitOnUnhandledErrors({ service: 'start' });
main().catch(async (error: unknown) => {
  if (stopping) return; // interrupted while starting: the signal handler stops what started
  stopping = true;
  process.stderr.write(`\n${describeFailure(error)}\n`);
  await stopAll();
  process.exit(error instanceof LaunchError ? error.exitCode : 1);
});
