import type { JWK } from 'jose';
import type { AccessTokenVerifierOptions } from '@tessera/auth';
import type { AlertingConfig } from '@tessera/audit';
import type { AuditChainConfig, DatabaseConfig, Logger, ObjectStoreConfig, RedisConfig } from '@tessera/config';
import { startGateway, type RunningGateway } from '@tessera/gateway';
import { createModelServing, type ModelServing, type ModelServingOptions } from '@tessera/models';
import { createServiceRuntime, startSubgraph, type RunningSubgraph, type ServerTls, type ServiceRuntime, type TlsIdentities } from '@tessera/service-kit';
import { createProvisioner } from '@tessera/tenants';
import type { MonitoringOptions } from '@tessera/monitoring';
import type { MeteringOptions } from '@tessera/metering';
import { migrateControlPlane, upgradeTenantSchemas, type TenantLimits, type TenantProvisioner } from '@tessera/tenancy';
import { subgraphCatalog, subgraphNames, type SubgraphName } from './subgraph-catalog';
import { inProcessPorts } from './service-ports';

export interface PlatformConfig {
  logger: Logger;
  database: DatabaseConfig;
  objectStore: ObjectStoreConfig;
  redis: RedisConfig;
  masterKey: Buffer;
  internalContextKeys: { privateJwk: JWK; publicJwk: JWK };
  /** Each service's TLS identity (the local CA in `npm start` and tests): subgraphs serve mutual TLS, the gateway HTTPS. */
  tls: TlsIdentities;
  /** Lifetime of the gateway's internal contexts in seconds (1–30, default 30; tests shorten it). */
  internalContextLifetimeSeconds?: number;
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
  /**
   * Public keys of the services that call this process's ports from other processes (the
   * workers), by service name. Services inside this process call the ports in-process.
   */
  portCallerKeys?: Record<string, JWK>;
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

/** A subgraph answers the gateway, and itself (its healthcheck holds its own certificate). */
export function subgraphTls(identities: TlsIdentities, name: string): ServerTls {
  return { identity: identities(name), allowedClients: ['gateway', name] };
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
      portCallerKeys: config.portCallerKeys,
    },
    config.logger,
    subgraphNames.flatMap((name) => subgraphCatalog[name].entities),
  );
  const modelServing = createModelServing(runtime, config.inference);
  // Every service runs here, so a caller uses the owner's port implementation directly.
  const ports = inProcessPorts(runtime);
  const started: RunningSubgraph[] = [];
  try {
    for (const name of subgraphNames) {
      started.push(await startSubgraph(subgraphCatalog[name].build(runtime, { regions: config.regions, modelServing, ports, ...(config.auditChain ? { auditChain: config.auditChain } : {}), ...(config.alerting ? { alerting: config.alerting } : {}), ...(config.monitoring ? { monitoring: config.monitoring } : {}) }), runtime, 0, undefined, subgraphTls(config.tls, name)));
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
        limits: { maxUploadBytes: config.maxUploadBytes, authFailuresPerMinutePerAddress: config.authFailuresPerMinutePerAddress },
        ...(config.monitoring?.requestMetrics ? { requestMetrics: config.monitoring.requestMetrics } : {}),
        ...(config.metering ? { metering: config.metering } : {}),
      },
      { logger: config.logger, database: config.database, tenantCacheTtlMs: config.tenantCacheTtlMs, tenantLimitDefaults: config.tenantLimitDefaults, corsOrigins: config.corsOrigins, redis: config.redis },
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
        await runtime.close();
      },
    };
  } catch (error) {
    for (const subgraph of started) await subgraph.close().catch(() => undefined);
    await modelServing.close().catch(() => undefined);
    await runtime.close();
    throw error;
  }
}
