import { z } from 'zod';
import { localServiceDatabaseUrls, serviceNames, type ServiceName } from '@tessera/tenancy';
import { alertingVariables, toAlertingConfig, type AlertingConfig } from '@tessera/audit';
import { erasureVariables, toErasureConfig, type ErasureConfig } from '@tessera/tenants';
import { migratorVariables, parseEnvironment, port, redisVariables, telemetryVariables } from '@tessera/config';
import { localRedisCaFile } from '@tessera/redis-acl';

export const defaultDatabaseAdminUrl = 'mysql://tessera_admin:tessera-admin-local-dev@127.0.0.1:3306';
// The local Redis speaks TLS only (scripts/local-redis.sh), with the local CA's certificate.
export const defaultRedisUrl = 'rediss://127.0.0.1:6380';

/** The variables `npm start` reads; everything else is fixed for local development. */
const launcherVariables = migratorVariables
  .pick({ DATABASE_ADMIN_URL: true })
  .extend({
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default(defaultRedisUrl),
    REDIS_TLS_CA_FILE: redisVariables.shape.REDIS_TLS_CA_FILE,
    GATEWAY_PORT: port(4000),
    ISSUER_PORT: port(4400),
    S3_PORT: port(4569),
    CONSOLE_PORT: port(4300),
    // A path: the worker processes read it themselves. Unset: the local CA, whose certificate the local MariaDB serves.
    DATABASE_TLS_CA_FILE: z.string().min(1).optional(),
  })
  .extend(telemetryVariables.pick({ TRACING_EXPORTER: true, OTEL_EXPORTER_OTLP_ENDPOINT: true, LOG_LEVEL: true }).shape)
  // A local webhook receiver is loopback, refused unless allowed here (e.g. 127.0.0.1/32).
  .extend(alertingVariables.shape)
  // The all-in-one process runs the tenants service, which carries out erasures.
  .extend(erasureVariables.shape);

export interface LauncherEnvironment {
  /** Each service's own account (DATABASE_URL_<SERVICE> overrides the local dev one). */
  databaseUrls: Record<ServiceName, string>;
  /** The migrator account (DDL, grants): `npm start` runs the migrate step with it, before any service starts. */
  databaseAdminUrl: string;
  /** The CA file every database connection verifies the server with; undefined: the local CA's. */
  databaseTlsCaFile: string | undefined;
  redisUrl: string;
  /** REDIS_TLS_CA_FILE; for the local Redis, the local CA (scripts/local-pki.sh). */
  redisTlsCaFile: string | undefined;
  /** The URL is the local default, so `scripts/local-services.sh` can provide the service. */
  localDatabase: boolean;
  localRedis: boolean;
  /**
   * Each service connects as its own ACL user (scripts/local-redis.sh creates them): REDIS_URL is a
   * loopback Redis without credentials. A URL with credentials is used as is by every service.
   */
  redisServiceUsers: boolean;
  gatewayPort: number;
  issuerPort: number;
  s3Port: number;
  /** The web console's static server (HTTPS). */
  consolePort: number;
  tracingExporter: 'otlp' | 'console' | 'none';
  otlpEndpoint: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  alerting: AlertingConfig;
  erasure: ErasureConfig;
}

/** Parsed once at start-up; a bad value throws a ConfigError naming every bad variable. */
export function readLauncherEnvironment(env: NodeJS.ProcessEnv = process.env): LauncherEnvironment {
  const parsed = parseEnvironment(launcherVariables, env);
  return {
    databaseUrls: localServiceDatabaseUrls(env),
    databaseAdminUrl: parsed.DATABASE_ADMIN_URL,
    databaseTlsCaFile: parsed.DATABASE_TLS_CA_FILE,
    redisUrl: parsed.REDIS_URL,
    redisTlsCaFile: parsed.REDIS_TLS_CA_FILE ?? (parsed.REDIS_URL === defaultRedisUrl ? localRedisCaFile(env) : undefined),
    localDatabase: parsed.DATABASE_ADMIN_URL === defaultDatabaseAdminUrl && serviceNames.every((service) => env[`DATABASE_URL_${service.toUpperCase()}`] === undefined),
    localRedis: parsed.REDIS_URL === defaultRedisUrl,
    redisServiceUsers: isLoopbackWithoutCredentials(parsed.REDIS_URL),
    gatewayPort: parsed.GATEWAY_PORT,
    issuerPort: parsed.ISSUER_PORT,
    s3Port: parsed.S3_PORT,
    consolePort: parsed.CONSOLE_PORT,
    tracingExporter: parsed.TRACING_EXPORTER,
    otlpEndpoint: parsed.OTEL_EXPORTER_OTLP_ENDPOINT,
    logLevel: parsed.LOG_LEVEL,
    alerting: toAlertingConfig(parsed),
    erasure: toErasureConfig(parsed),
  };
}

function isLoopbackWithoutCredentials(url: string): boolean {
  const parsed = new URL(url);
  return !parsed.username && !parsed.password && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
}
