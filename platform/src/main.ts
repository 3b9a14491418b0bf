/**
 * One process per service, for production and docker-compose: `tessera <service>`, where service
 * is `gateway`, `worker` or a subgraph name; `tessera migrate`, the one-shot step that runs
 * before them as the migrator; `tessera keys`, the local key service; and `tessera keys
 * import-master-key`, the one-time move of data keys wrapped by the retired master key to the key
 * provider; `tessera selftest`, an isolation self-test of a running deployment (a client only,
 * platform/src/selftest). Configuration comes from the environment (README table).
 */
import { createLogger, ConfigError, exitOnUnhandledErrors } from '@tessera/config';
import { startGateway } from '@tessera/gateway';
import { createServiceRuntime, startSubgraph } from '@tessera/service-kit';
import { startTelemetry } from '@tessera/telemetry';
import { migrateDeployment } from '@tessera/tenancy';
import { readWorkerEnvironment, startWorker } from '@tessera/workers';
import { readGatewayEnvironment, readMasterKeyImportEnvironment, readMigratorEnvironment, readSubgraphEnvironment } from './environment';
import { runKeyService } from '@tessera/key-service';
import { VaultTransitKeyProvider } from '@tessera/key-provider';
import { importLegacyWrappedKeys, openServiceDataSource } from '@tessera/tenancy';
import { readPublicTlsFiles, readTlsFiles } from './tls-environment';
import { isSubgraphName, portCallersOf, portsCalledBy, serviceData, subgraphModule } from './subgraph-catalog';
import { remotePorts, withAbsentPorts } from './service-ports';
import { runSelftestCommand } from './selftest/command';
import { cliUsage, parseCliCommand } from './cli-usage';

async function main(service: string | undefined): Promise<() => Promise<void>> {
  if (service === 'selftest') {
    // A client of a running gateway, not a service: it starts nothing and exits with its verdict.
    const io = { stdout: (text: string) => void process.stdout.write(text), stderr: (text: string) => void process.stderr.write(text), env: process.env };
    process.exitCode = await runSelftestCommand(process.argv.slice(3), io);
    return async () => undefined;
  }
  if (service === 'migrate') {
    // The only command that holds the migrator account; it exits when the schemas are ready.
    const env = readMigratorEnvironment();
    const logger = createLogger(env.logLevel, { service: 'migrate' });
    const report = await migrateDeployment(env.migrator, serviceData);
    logger.info('migrated', { controlSchema: env.migrator.controlSchema, tenantSchemas: report.tenantSchemas, regionServers: report.regionServers });
    return async () => undefined;
  }
  if (service === 'keys' && process.argv[3] === 'import-master-key') {
    // One-shot, as the tenants service (its database account and certificate): rewraps what the
    // retired master key wrapped, then exits. The master key is given to this command only.
    const env = readMasterKeyImportEnvironment();
    const logger = createLogger(env.logLevel, { service: 'keys' });
    const identity = readTlsFiles(env.tls);
    const provider = new VaultTransitKeyProvider({ ...env.keyProvider, ca: env.keyProvider.tlsCa, clientIdentity: { cert: identity.cert, key: identity.key } });
    const db = await openServiceDataSource(env.database, []);
    try {
      const report = await importLegacyWrappedKeys(db, env.database.controlSchema, env.legacyMasterKey, provider);
      logger.info('imported data keys wrapped by the master key', { ...report });
    } finally {
      await db.destroy();
      provider.close();
    }
    return async () => undefined;
  }
  if (service === 'keys') {
    await runKeyService();
    return async () => undefined;
  }
  if (service === 'gateway') {
    const env = readGatewayEnvironment();
    const telemetry = startTelemetry({ serviceName: 'tessera-gateway', exporter: env.telemetry.exporter, otlpEndpoint: env.telemetry.otlpEndpoint, otlpCaFile: env.telemetry.otlpCaFile });
    const logger = createLogger(env.telemetry.logLevel, { service: 'gateway' });
    const gateway = await startGateway({ ...env.gateway, tls: readTlsFiles(env.tls.files), publicTls: readPublicTlsFiles(env.tls.publicFiles) }, { logger, database: env.database, tenantCacheTtlMs: env.tenantCacheTtlMs, tenantLimitDefaults: env.tenantLimitDefaults, corsOrigins: env.corsOrigins, redis: env.redis });
    return async () => {
      await gateway.close();
      await telemetry.shutdown();
    };
  }
  if (service === 'worker') {
    // `tessera worker [--dedicated <tenant>]`: runs jobs; no GraphQL API (see workers/).
    const config = readWorkerEnvironment(process.env, process.argv.slice(3));
    const telemetry = startTelemetry({ serviceName: 'tessera-worker', exporter: config.tracing.exporter, otlpEndpoint: config.tracing.otlpEndpoint, otlpCaFile: config.tracing.otlpCaFile });
    const logger = createLogger(config.logLevel, { service: 'worker' });
    const worker = await startWorker(config, logger);
    return async () => {
      await worker.stop();
      await telemetry.shutdown();
    };
  }
  if (!isSubgraphName(service)) {
    // parseCliCommand let only known commands through; this keeps the type narrowing.
    throw new Error(`unknown command ${String(service)}`);
  }
  const module = subgraphModule(service);
  const env = readSubgraphEnvironment(module.name);
  const telemetry = startTelemetry({ serviceName: `tessera-${module.name}`, exporter: env.telemetry.exporter, otlpEndpoint: env.telemetry.otlpEndpoint, otlpCaFile: env.telemetry.otlpCaFile });
  const logger = createLogger(env.telemetry.logLevel, { service: module.name });
  const identity = readTlsFiles(env.tls.files);
  // The key provider knows this service by its certificate (mutual TLS), as the other services do.
  const keyProvider = env.runtime.keyProvider ? { ...env.runtime.keyProvider, clientIdentity: { cert: identity.cert, key: identity.key } } : undefined;
  const runtime = await createServiceRuntime({ serviceName: module.name, ...env.runtime, keyProvider, portCallerKeys: env.ports.PORT_CALLER_KEYS }, logger, module.entities);
  // The other services' ports this one calls, over HTTP and signed as this service.
  const ports = withAbsentPorts(await remotePorts(module.name, env.ports, portsCalledBy[module.name], identity));
  const options = {
    ports,
    regions: env.regions,
    // Job grants: only the jobs module signs them, with its own key; the datasets and models services
    // verify them with the jobs service's public key, the one they accept its port calls with.
    jobGrantKeys: { signingKey: env.ports.SERVICE_KEY, verifyKey: env.ports.PORT_CALLER_KEYS?.['jobs'] },
    ...(env.auditChain ? { auditChain: env.auditChain } : {}),
    ...(env.alerting ? { alerting: env.alerting } : {}),
    ...(env.monitoring ? { monitoring: env.monitoring } : {}),
    ...(env.erasure ? { erasure: env.erasure } : {}),
    ...(env.members ? { members: env.members } : {}),
    ...(env.modelUploads ? { modelUploads: env.modelUploads } : {}),
    ...(env.jobReconciler ? { jobReconciler: env.jobReconciler } : {}),
    ...(env.jobRetry ? { jobRetry: env.jobRetry } : {}),
    ...(env.uploadSpool ? { uploadSpool: env.uploadSpool } : {}),
    ...(env.inference ? { inference: env.inference } : {}),
    ...(env.csvParsing ? { csvParsing: env.csvParsing } : {}),
    ...(env.datasetReads ? { datasetReads: env.datasetReads } : {}),
    ...(env.retention ? { retention: env.retention } : {}),
  };
  const subgraph = await startSubgraph(
    module.build(runtime, options),
    runtime,
    env.port,
    env.host,
    {
      identity,
      // Itself too (the container's healthcheck reaches /_readiness with the service's own
      // certificate), and the services that call its ports.
      allowedClients: [...new Set([...env.tls.allowedClients, module.name, ...portCallersOf(module.name)])],
    },
    { requestBodyTimeoutMs: env.requestBodyTimeoutMs, uploadStallMs: env.uploadStallMs },
  );
  logger.info('subgraph listening', { url: `${subgraph.url}/graphql` });
  return async () => {
    await subgraph.close();
    await runtime.close();
    await telemetry.shutdown();
  };
}

const cli = parseCliCommand(process.argv.slice(2));
if (cli.kind === 'help') {
  process.stdout.write(`${cliUsage}\n`);
  process.exit(0);
}
if (cli.kind === 'usage-error') {
  process.stderr.write(`${cli.message}\n${cliUsage}\n`);
  process.exit(2);
}
exitOnUnhandledErrors({ service: process.argv[2] ?? 'tessera' });
main(process.argv[2]).then(
  (stop) => {
    if (process.argv[2] === 'selftest') return void stop().then(() => process.exit(process.exitCode ?? 0));
    if (process.argv[2] === 'migrate' || (process.argv[2] === 'keys' && process.argv[3] === 'import-master-key')) return void stop().then(() => process.exit(0));
    // The key service registers its own shutdown.
    if (process.argv[2] === 'keys') return;
    const shutdown = () => void stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
