/**
 * One process per service, for production and docker-compose: `tessera <service>`, where service
 * is `gateway`, `worker` or a subgraph name; and `tessera migrate`, the one-shot step that runs
 * before them as the migrator. Configuration comes from the environment (README table).
 */
import { createLogger, ConfigError } from '@tessera/config';
import { startGateway } from '@tessera/gateway';
import { modelServingOptionsFromEnvironment } from '@tessera/models';
import { createServiceRuntime, startSubgraph } from '@tessera/service-kit';
import { startTelemetry } from '@tessera/telemetry';
import { migrateDeployment } from '@tessera/tenancy';
import { readWorkerEnvironment, startWorker } from '@tessera/workers';
import { readGatewayEnvironment, readMigratorEnvironment, readSubgraphEnvironment } from './environment';
import { readPublicTlsFiles, readTlsFiles } from './tls-environment';
import { isSubgraphName, portCallersOf, portsCalledBy, serviceData, subgraphModule, subgraphNames } from './subgraph-catalog';
import { remotePorts, withAbsentPorts } from './service-ports';

async function main(service: string | undefined): Promise<() => Promise<void>> {
  if (service === 'migrate') {
    // The only command that holds the migrator account; it exits when the schemas are ready.
    const env = readMigratorEnvironment();
    const logger = createLogger(env.logLevel, { service: 'migrate' });
    const report = await migrateDeployment(env.migrator, serviceData);
    logger.info('migrated', { controlSchema: env.migrator.controlSchema, tenantSchemas: report.tenantSchemas });
    return async () => undefined;
  }
  if (service === 'gateway') {
    const env = readGatewayEnvironment();
    const telemetry = startTelemetry({ serviceName: 'tessera-gateway', exporter: env.telemetry.exporter, otlpEndpoint: env.telemetry.otlpEndpoint });
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
    const telemetry = startTelemetry({ serviceName: 'tessera-worker', exporter: config.tracing.exporter, otlpEndpoint: config.tracing.otlpEndpoint });
    const logger = createLogger(config.logLevel, { service: 'worker' });
    const worker = await startWorker(config, logger);
    return async () => {
      await worker.stop();
      await telemetry.shutdown();
    };
  }
  if (!isSubgraphName(service)) {
    throw new Error(`usage: tessera <migrate|gateway|worker|${subgraphNames.join('|')}>`);
  }
  const module = subgraphModule(service);
  const env = readSubgraphEnvironment(module.name);
  const telemetry = startTelemetry({ serviceName: `tessera-${module.name}`, exporter: env.telemetry.exporter, otlpEndpoint: env.telemetry.otlpEndpoint });
  const logger = createLogger(env.telemetry.logLevel, { service: module.name });
  const runtime = await createServiceRuntime({ serviceName: module.name, ...env.runtime, portCallerKeys: env.ports.PORT_CALLER_KEYS }, logger, module.entities);
  // The other services' ports this one calls, over HTTP and signed as this service.
  const identity = readTlsFiles(env.tls.files);
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
    inference: modelServingOptionsFromEnvironment(process.env),
  };
  const subgraph = await startSubgraph(module.build(runtime, options), runtime, env.port, env.host, {
    identity,
    // Itself too (the container's healthcheck reaches /_readiness with the service's own
    // certificate), and the services that call its ports.
    allowedClients: [...new Set([...env.tls.allowedClients, module.name, ...portCallersOf(module.name)])],
  });
  logger.info('subgraph listening', { url: `${subgraph.url}/graphql` });
  return async () => {
    await subgraph.close();
    await runtime.close();
    await telemetry.shutdown();
  };
}

main(process.argv[2]).then(
  (stop) => {
    if (process.argv[2] === 'migrate') return void stop().then(() => process.exit(0));
    const shutdown = () => void stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
