/**
 * One process per service, for production and docker-compose: `tessera <service>`, where service
 * is `gateway` or a subgraph name. Configuration comes from the environment (README table).
 */
import { createLogger, ConfigError } from '@tessera/config';
import { startGateway } from '@tessera/gateway';
import { createModelServing, modelServingOptionsFromEnvironment } from '@tessera/models';
import { createServiceRuntime, startSubgraph } from '@tessera/service-kit';
import { startTelemetry } from '@tessera/telemetry';
import { migrateControlPlane, upgradeTenantSchemas } from '@tessera/tenancy';
import { readWorkerEnvironment, startWorker } from '@tessera/workers';
import { readGatewayEnvironment, readSubgraphEnvironment } from './environment';
import { readPublicTlsFiles, readTlsFiles } from './tls-environment';
import { portsCalledBy, subgraphCatalog, subgraphNames, type SubgraphName } from './subgraph-catalog';
import { remotePorts } from './service-ports';

async function main(service: string | undefined): Promise<() => Promise<void>> {
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
  if (!subgraphNames.includes(service as SubgraphName)) {
    throw new Error(`usage: tessera <gateway|worker|${subgraphNames.join('|')}>`);
  }
  const name = service as SubgraphName;
  const env = readSubgraphEnvironment(name);
  const telemetry = startTelemetry({ serviceName: `tessera-${name}`, exporter: env.telemetry.exporter, otlpEndpoint: env.telemetry.otlpEndpoint });
  const logger = createLogger(env.telemetry.logLevel, { service: name });
  await migrateControlPlane(env.runtime.database);
  // The tenants service provisions, so it also upgrades existing tenant schemas (migrations + grants).
  if (name === 'tenants') await upgradeTenantSchemas(env.runtime.database);
  const runtime = await createServiceRuntime({ serviceName: name, ...env.runtime, portCallerKeys: env.ports.PORT_CALLER_KEYS }, logger, subgraphCatalog[name].entities);
  // The other services' ports this one calls, over HTTP and signed as this service.
  const ports = await remotePorts(name, env.ports, portsCalledBy[name]);
  // Only the models process runs inference: one set of tenant pools for the whole process.
  const modelServing = name === 'models' ? createModelServing(runtime, modelServingOptionsFromEnvironment(process.env)) : undefined;
  const subgraph = await startSubgraph(subgraphCatalog[name].build(runtime, { ports, regions: env.regions, ...(env.auditChain ? { auditChain: env.auditChain } : {}), ...(env.alerting ? { alerting: env.alerting } : {}), ...(env.monitoring ? { monitoring: env.monitoring } : {}), ...(modelServing ? { modelServing } : {}) }), runtime, env.port, env.host, {
    identity: readTlsFiles(env.tls.files),
    // Itself too: the container's healthcheck reaches /_readiness with the service's own certificate.
    allowedClients: [...new Set([...env.tls.allowedClients, name])],
  });
  logger.info('subgraph listening', { url: `${subgraph.url}/graphql` });
  return async () => {
    await subgraph.close();
    await modelServing?.close();
    await runtime.close();
    await telemetry.shutdown();
  };
}

main(process.argv[2]).then(
  (stop) => {
    const shutdown = () => void stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
