import type { JWK } from 'jose';
import type { AccessTokenVerifierOptions } from '@tessera/auth';
import type { AlertingConfig } from '@tessera/audit';
import type { AuditChainConfig, DatabaseConfig, Logger, ObjectStoreConfig, RedisConfig } from '@tessera/config';
import { startGateway, type RunningGateway } from '@tessera/gateway';
import { createModelServing, type ModelServing, type ModelServingOptions } from '@tessera/models';
import { createServiceRuntime, startSubgraph, type RunningSubgraph, type ServiceRuntime } from '@tessera/service-kit';
import { createProvisioner } from '@tessera/tenants';
import type { MonitoringOptions } from '@tessera/monitoring';
import type { MeteringOptions } from '@tessera/metering';
import { migrateControlPlane, upgradeTenantSchemas, type TenantLimits, type TenantProvisioner } from '@tessera/tenancy';
import { redisOf, runtimeWithRedis, type RedisByService } from './service-redis';
import { subgraphCatalog, subgraphNames, type SubgraphName } from './subgraph-catalog';

export interface PlatformConfig {
  logger: Logger;
  database: DatabaseConfig;
  objectStore: ObjectStoreConfig;
  redis: RedisConfig;
  /**
   * The Redis user of each service (`redis://user:password@…`), as separate processes would each
   * have their own REDIS_URL. A service left out connects with `redis`.
   */
  redisByService?: RedisByService;
  masterKey: Buffer;
  internalContextKeys: { privateJwk: JWK; publicJwk: JWK };
  oidc: AccessTokenVerifierOptions;
  gatewayPort: number;
  publicUrl?: string | undefined;
  regions: string[];
  tenantCacheTtlMs: number;
  /** The platform's tenant limit defaults (TENANT_LIMIT_DEFAULTS); the built-in ones when omitted. */
  tenantLimitDefaults?: TenantLimits;
  corsOrigins: string[];
  maxUploadBytes: number;
  /** Failed authentications per minute one client address may cause at the gateway (default 120). */
  authFailuresPerMinutePerAddress?: number;
  /** Inference pools and stats of the models subgraph (defaults when omitted). */
  inference?: ModelServingOptions;
  /** Audit hash-chain relay and checkpoint signing key (the audit service refuses to start without a key). */
  auditChain?: AuditChainConfig;
  /** Alerting of the audit service, incl. the ranges webhooks may reach despite the address policy (defaults when omitted). */
  alerting?: AlertingConfig;
  /** Request metrics at the gateway and anomaly detection in the metrics service (defaults when omitted). */
  monitoring?: MonitoringOptions;
  /** Usage meters' flush interval, budget cache and stored-bytes sampling (defaults when omitted). */
  metering?: MeteringOptions;
}

export interface RunningPlatform {
  gateway: RunningGateway;
  subgraphs: Record<SubgraphName, RunningSubgraph>;
  runtime: ServiceRuntime;
  provisioner: TenantProvisioner;
  /** The one set of tenant inference pools (and the stats recorder) of this process. */
  modelServing: ModelServing;
  stop(): Promise<void>;
}

/**
 * Every service of the platform in this one process, each on its own port, sharing one MySQL
 * pool (the dev launcher and the test harness use this; production runs one process per
 * service with `tessera <service>`, same code).
 */
export async function startPlatform(config: PlatformConfig): Promise<RunningPlatform> {
  await migrateControlPlane(config.database);
  // Existing tenants get new tenant migrations and their service-account grants (none on a fresh control plane).
  await upgradeTenantSchemas(config.database);
  const runtime = await createServiceRuntime(
    {
      serviceName: 'tessera',
      database: config.database,
      objectStore: config.objectStore,
      redis: config.redis,
      masterKey: config.masterKey,
      internalContextPublicKey: config.internalContextKeys.publicJwk,
      tenantCacheTtlMs: config.tenantCacheTtlMs,
      tenantLimitDefaults: config.tenantLimitDefaults,
      metering: config.metering,
    },
    config.logger,
    subgraphNames.flatMap((name) => subgraphCatalog[name].entities),
  );
  const views = Object.fromEntries(subgraphNames.map((name) => [name, runtimeWithRedis(runtime, redisOf(name, config.redis, config.redisByService))])) as Record<SubgraphName, ReturnType<typeof runtimeWithRedis>>;
  const closeViews = () => Promise.all(Object.values(views).map((view) => view.close().catch(() => undefined)));
  const modelServing = createModelServing(views.models.runtime, config.inference);
  const started: RunningSubgraph[] = [];
  try {
    for (const name of subgraphNames) {
      const serviceRuntime = views[name].runtime;
      started.push(await startSubgraph(subgraphCatalog[name].build(serviceRuntime, { regions: config.regions, modelServing, ...(config.auditChain ? { auditChain: config.auditChain } : {}), ...(config.alerting ? { alerting: config.alerting } : {}), ...(config.monitoring ? { monitoring: config.monitoring } : {}) }), serviceRuntime, 0));
    }
    const subgraphs = Object.fromEntries(started.map((s) => [s.name, s])) as Record<SubgraphName, RunningSubgraph>;
    const gateway = await startGateway(
      {
        port: config.gatewayPort,
        publicUrl: config.publicUrl,
        oidc: config.oidc,
        internalContextPrivateKey: config.internalContextKeys.privateJwk,
        subgraphs: started.map((s) => ({ name: s.name, url: `${s.url}/graphql` })),
        uploadTargets: ['datasets', 'models'],
        downloadTargets: ['models'],
        limits: { maxUploadBytes: config.maxUploadBytes, authFailuresPerMinutePerAddress: config.authFailuresPerMinutePerAddress },
        ...(config.monitoring?.requestMetrics ? { requestMetrics: config.monitoring.requestMetrics } : {}),
        ...(config.metering ? { metering: config.metering } : {}),
      },
      { logger: config.logger, database: config.database, tenantCacheTtlMs: config.tenantCacheTtlMs, tenantLimitDefaults: config.tenantLimitDefaults, corsOrigins: config.corsOrigins, redis: redisOf('gateway', config.redis, config.redisByService) },
    );
    return {
      gateway,
      subgraphs,
      runtime,
      provisioner: createProvisioner(runtime, { regions: config.regions }),
      modelServing,
      stop: async () => {
        await gateway.close();
        for (const subgraph of started) await subgraph.close();
        await modelServing.close();
        await closeViews();
        await runtime.close();
      },
    };
  } catch (error) {
    for (const subgraph of started) await subgraph.close().catch(() => undefined);
    await modelServing.close().catch(() => undefined);
    await closeViews();
    await runtime.close();
    throw error;
  }
}
