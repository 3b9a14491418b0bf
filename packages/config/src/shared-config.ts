import { z } from 'zod';
import { ConfigError } from './parse-environment';
import { readCaFile } from './ca-file';
import { isTlsRedisUrl } from './redis-connection';
import { regionDatabasesVariable, toRegionServers, type RegionObjectStoreConfig } from './regions';
import { booleanFlag, jsonWebKey, logLevel, milliseconds, pemFile, publicJsonWebKeys, tracingExporter, url } from './variables';

/**
 * Configuration concerns shared by several services. Each service composes the ones it needs in
 * its own `environment.ts`, and gets back a typed camelCase object.
 */
export const databaseVariables = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^mysql:\/\//, 'must be a mysql:// URL')
    .default('mysql://tessera:tessera-local-dev@127.0.0.1:3306'),
  CONTROL_SCHEMA: z
    .string()
    .regex(/^tessera_[a-z0-9_]{1,40}$/, 'must match tessera_[a-z0-9_]+')
    .default('tessera_control'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  // The CA that signed the database server's certificate: set, every connection is TLS and the
  // server's name is verified against it. Read once at start-up.
  DATABASE_TLS_CA_FILE: pemFile().optional(),
  // Region → host:port of the server holding that region's tenant schemas (regions.ts).
  REGION_DATABASES: regionDatabasesVariable,
});

/**
 * The migrator account and the accounts it grants to: read only by `tessera migrate`, the one-shot
 * step that creates and migrates the schemas and gives every service account its table rights.
 * No long-running service reads these, so none of them holds DDL or GRANT OPTION.
 */
export const migratorVariables = z.object({
  DATABASE_ADMIN_URL: z
    .string()
    .regex(/^mysql:\/\//, 'must be a mysql:// URL')
    .default('mysql://tessera_admin:tessera-admin-local-dev@127.0.0.1:3306'),
  CONTROL_SCHEMA: z
    .string()
    .regex(/^tessera_[a-z0-9_]{1,40}$/, 'must match tessera_[a-z0-9_]+')
    .default('tessera_control'),
  // The host part of the service accounts (tessera_<service>@host) the grants name; '%' in containers.
  DATABASE_ACCOUNT_HOSTS: z
    .string()
    .default('%')
    .transform((value) => value.split(',').map((host) => host.trim()).filter((host) => host.length > 0))
    .refine((hosts) => hosts.length > 0 && hosts.every((host) => /^[A-Za-z0-9_.%:-]{1,255}$/.test(host)), 'must be a comma-separated list of account hosts'),
  DATABASE_TLS_CA_FILE: pemFile().optional(),
  // The same map the services read: the migrate step prepares every region's server.
  REGION_DATABASES: regionDatabasesVariable,
});

export const objectStoreVariables = z.object({
  S3_ENDPOINT: url().default('http://127.0.0.1:9000'),
  S3_ACCESS_KEY: z.string().min(3),
  S3_SECRET_KEY: z.string().min(8),
  S3_DEFAULT_REGION: z.string().default('us-east-1'),
  S3_BUCKET_PREFIX: z.string().regex(/^[a-z0-9-]{1,20}$/).default('tessera'),
  // `sts`: S3_ACCESS_KEY/S3_SECRET_KEY only assume a role; each tenant's bucket is reached with
  // short-lived credentials whose session policy names that bucket alone. `static`: the key itself
  // reaches every bucket (the in-process test store, which has no IAM).
  OBJECT_STORE_CREDENTIALS: z.enum(['static', 'sts']).default('static'),
  // Required on AWS and Ceph RGW; MinIO ignores it.
  OBJECT_STORE_ROLE_ARN: z.string().regex(/^arn:aws[a-z-]*:iam::\d*:role\/.+$/, 'must be an IAM role ARN').optional(),
  // Defaults to S3_ENDPOINT (MinIO, RGW); on AWS https://sts.<region>.amazonaws.com.
  OBJECT_STORE_STS_ENDPOINT: url().optional(),
  OBJECT_STORE_SESSION_SECONDS: z.coerce.number().int().min(900).max(3600).default(900),
  // PEM file of the CA that signed the store's certificate (a private CA: the local one, or the one
  // MinIO/RGW serve with); only with an https:// S3_ENDPOINT. Unset with https://: the public roots.
  OBJECT_STORE_TLS_CA_FILE: z.string().min(1).optional(),
});

/**
 * Where the key-encryption keys are: a key provider speaking Vault's transit API (HashiCorp Vault,
 * or the local key service `tessera keys`). Services hold no key material, only the address, the
 * key's name and how to authenticate: their own service certificate (TLS_CERT_FILE/TLS_KEY_FILE,
 * mutual TLS) and, for Vault, a token.
 */
export const keyProviderVariables = z.object({
  KEY_PROVIDER_URL: url().refine((value) => value.startsWith('https://'), 'must be an https:// URL'),
  KEY_PROVIDER_KEY_NAME: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be a transit key name').default('tessera'),
  // Where the transit engine is mounted (Vault's default).
  KEY_PROVIDER_MOUNT: z.string().regex(/^[A-Za-z0-9_./-]{1,128}$/, 'must be a mount path').default('transit'),
  // The CA that signed the provider's certificate (the local CA, or Vault's); unset: the public roots.
  KEY_PROVIDER_TLS_CA_FILE: pemFile().optional(),
  // A Vault token (X-Vault-Token); the local key service authenticates by client certificate and needs none.
  KEY_PROVIDER_TOKEN: z.string().min(1).optional(),
  // How a token is had: `token` (KEY_PROVIDER_TOKEN, or none), `approle` or `kubernetes` (Vault logins; renewed and replaced).
  KEY_PROVIDER_AUTH: z.enum(['token', 'approle', 'kubernetes']).default('token'),
  // Where the login method is mounted (Vault's defaults: approle, kubernetes).
  KEY_PROVIDER_AUTH_MOUNT: z.string().regex(/^[A-Za-z0-9_./-]{1,128}$/, 'must be a mount path').optional(),
  KEY_PROVIDER_APPROLE_ROLE_ID: z.string().min(1).max(4096).optional(),
  KEY_PROVIDER_APPROLE_SECRET_ID: z.string().min(1).max(4096).optional(),
  // A file holding the secret_id (a mounted secret); read at every login, so a new one is picked up.
  KEY_PROVIDER_APPROLE_SECRET_ID_FILE: z.string().min(1).optional(),
  KEY_PROVIDER_KUBERNETES_ROLE: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be a Vault role name').optional(),
  // The pod's service-account token (projected and rotated by the kubelet): read at every login.
  KEY_PROVIDER_KUBERNETES_JWT_FILE: z.string().min(1).default('/var/run/secrets/kubernetes.io/serviceaccount/token'),
});

export const internalContextVariables = z.object({
  INTERNAL_CONTEXT_PUBLIC_KEY: jsonWebKey(),
});

export const redisVariables = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  // Every key and channel the platform uses starts with this, so several deployments (or test
  // runs) can share one Redis without seeing each other's queues or events.
  REDIS_KEY_PREFIX: z.string().regex(/^[a-z0-9-]{1,40}$/, 'must match [a-z0-9-]{1,40}').default('tessera'),
  // PEM file of the CA that signed the Redis server's certificate (a private CA); only with a
  // rediss:// URL. Unset with rediss://: the public roots.
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
});

/** The audit trail's hash chains (issue #6): relay cadence and the checkpoint signing key. */
/** `AuditChainConfig.relayFullSweepIntervalMs` when a configuration object leaves it out. */
export const defaultRelayFullSweepIntervalMs = 10_000;

export const auditChainVariables = z.object({
  // Private JWK (Ed25519 "OKP" or P-256 "EC") that signs chain checkpoints. Required by the audit service.
  AUDIT_SIGNING_KEY: jsonWebKey()
    .refine((key) => typeof key['d'] === 'string' && ((key.kty === 'OKP' && key['crv'] === 'Ed25519') || (key.kty === 'EC' && key['crv'] === 'P-256')), 'must be a private Ed25519 (OKP) or P-256 (EC) JWK')
    .optional(),
  // Public JWKs of retired audit signing keys, as a JSON array: checkpoints they signed still verify.
  AUDIT_VERIFY_KEYS: publicJsonWebKeys()
    .refine((keys) => keys.every((key) => (key.kty === 'OKP' && key['crv'] === 'Ed25519') || (key.kty === 'EC' && key['crv'] === 'P-256')), 'must hold Ed25519 (OKP) or P-256 (EC) public JWKs')
    .optional(),
  AUDIT_RELAY_INTERVAL_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  // How often the relay looks at every tenant's outbox, not only those that had events lately.
  AUDIT_RELAY_FULL_SWEEP_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(defaultRelayFullSweepIntervalMs),
  AUDIT_CHECKPOINT_INTERVAL_MS: milliseconds(3_600_000),
  AUDIT_CHECKPOINT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(0),
});

export const telemetryVariables = z.object({
  TRACING_EXPORTER: tracingExporter(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url().optional(),
  // OpenTelemetry's own name for the CA file an https:// collector's certificate is checked against
  // (compose: Jaeger with a certificate of the stack's CA). Unset: the system's trusted CAs.
  OTEL_EXPORTER_OTLP_CERTIFICATE: z.string().min(1).optional(),
  LOG_LEVEL: logLevel(),
  PRETTY_LOGS: booleanFlag(false),
});

export interface DatabaseConfig {
  /** This service's own account: table-level DML on its own tables and the ports it writes into. */
  url: string;
  controlSchema: string;
  poolSize: number;
  /** CA certificate (PEM) the server's certificate must chain to; undefined: no TLS (the Tessera accounts then refuse the connection). */
  tlsCa: string | undefined;
  /**
   * Data residency: region → `host:port` of the server holding that region's tenant schemas, for
   * the regions not on `url`'s server (REGION_DATABASES). Reached with the same account and CA.
   * Undefined or empty: every tenant schema is on `url`'s server.
   */
  regionServers?: Readonly<Record<string, string>> | undefined;
}

/** What the migrate step needs: the migrator account, and the hosts of the service accounts it grants to. */
export interface MigratorConfig {
  /** The migrator account: DDL, GRANT OPTION on the Tessera schemas. */
  adminUrl: string;
  controlSchema: string;
  accountHosts: string[];
  /** As `DatabaseConfig.tlsCa`: the migrator account requires TLS too. */
  tlsCa: string | undefined;
  /** As `DatabaseConfig.regionServers`: each is prepared (template, routines, grants) and its tenant schemas migrated. */
  regionServers?: Readonly<Record<string, string>> | undefined;
}

/** How a service reaches the key provider; its client certificate is its service identity, added where the process reads it. */
export interface KeyProviderConfig {
  url: string;
  keyName: string;
  mount: string;
  /** CA certificate (PEM text). */
  tlsCa: string | undefined;
  token: string | undefined;
  /** How the service gets its provider token (the key provider client's VaultAuthOptions); unset: `token`. */
  auth?: KeyProviderAuthConfig | undefined;
}

export type KeyProviderAuthConfig =
  | { method: 'token'; token: string | undefined }
  | { method: 'approle'; mount: string; roleId: string; secretId: string | undefined; secretIdFile: string | undefined }
  | { method: 'kubernetes'; mount: string; role: string; jwtFile: string };

export interface RedisConfig {
  url: string;
  keyPrefix: string;
  /** The CA the server's certificate must chain to (`rediss://` URLs); unset: the public roots. */
  tlsCaFile?: string | undefined;
}

export interface ObjectStoreConfig {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  defaultRegion: string;
  bucketPrefix: string;
  /** How tenant buckets are reached; `static` when absent. */
  credentials?: ObjectStoreCredentialsConfig | undefined;
  /**
   * The CA file the store's (and its STS endpoint's) certificate must chain to, for https://
   * endpoints; unset: the public roots. A path, so worker processes are handed the same file.
   */
  tlsCaFile?: string | undefined;
  /**
   * Data residency: the store of each region other than the home one (REGION_OBJECT_STORES), whose
   * store is the one above. Undefined: every region's bytes are in the store above.
   */
  regions?: Readonly<Record<string, RegionObjectStoreConfig>> | undefined;
}

export type ObjectStoreCredentialsConfig =
  | { mode: 'static' }
  | { mode: 'sts'; stsEndpoint: string; roleArn: string | undefined; sessionSeconds: number };

export interface AuditChainConfig {
  /** Signs checkpoints; without it the audit service refuses to start. */
  signingKey: Record<string, unknown> & { kty: string } | undefined;
  /** Public keys of retired signing keys: their checkpoints still verify (key rotation). */
  verifyKeys: Array<Record<string, unknown> & { kty: string }>;
  /** How often the outboxes of tenants that had events lately are relayed. */
  relayIntervalMs: number;
  /**
   * How often every tenant's outbox is looked at (one statement per hundred tenants): what a tenant
   * quiet until now writes reaches its chain within this (or at once, when read). Omitted: 10 s.
   */
  relayFullSweepIntervalMs?: number;
  /** 0 turns periodic checkpoints off (on-demand ones still work). */
  checkpointIntervalMs: number;
  /** > 0: checkpoint objects are put under S3 Object Lock (COMPLIANCE) for this many days. */
  checkpointRetentionDays: number;
}

export interface TelemetryConfig {
  exporter: 'otlp' | 'console' | 'none';
  otlpEndpoint: string | undefined;
  /** CA file for an https:// collector (read when the exporter starts). */
  otlpCaFile?: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export function toDatabaseConfig(env: z.infer<typeof databaseVariables>): DatabaseConfig {
  const regionServers = toRegionServers(env.REGION_DATABASES, env.DATABASE_URL, env.DATABASE_TLS_CA_FILE);
  return { url: env.DATABASE_URL, controlSchema: env.CONTROL_SCHEMA, poolSize: env.DATABASE_POOL_SIZE, tlsCa: env.DATABASE_TLS_CA_FILE, ...(regionServers ? { regionServers } : {}) };
}

export function toMigratorConfig(env: z.infer<typeof migratorVariables>): MigratorConfig {
  const regionServers = toRegionServers(env.REGION_DATABASES, env.DATABASE_ADMIN_URL, env.DATABASE_TLS_CA_FILE);
  return { adminUrl: env.DATABASE_ADMIN_URL, controlSchema: env.CONTROL_SCHEMA, accountHosts: env.DATABASE_ACCOUNT_HOSTS, tlsCa: env.DATABASE_TLS_CA_FILE, ...(regionServers ? { regionServers } : {}) };
}

export function toObjectStoreConfig(env: z.infer<typeof objectStoreVariables>): ObjectStoreConfig {
  const tlsCaFile = env.OBJECT_STORE_TLS_CA_FILE;
  if (tlsCaFile !== undefined) {
    // A CA with an http:// endpoint would be ignored: the operator believes the link is encrypted.
    const plaintext = [env.S3_ENDPOINT, env.OBJECT_STORE_STS_ENDPOINT].filter((endpoint) => endpoint !== undefined && !endpoint.startsWith('https://'));
    if (plaintext.length > 0) throw new ConfigError([`OBJECT_STORE_TLS_CA_FILE: set, but ${plaintext.join(' and ')} is not an https:// endpoint`]);
    readCaFile('OBJECT_STORE_TLS_CA_FILE', tlsCaFile);
  }
  return {
    endpoint: env.S3_ENDPOINT,
    accessKey: env.S3_ACCESS_KEY,
    secretKey: env.S3_SECRET_KEY,
    defaultRegion: env.S3_DEFAULT_REGION,
    bucketPrefix: env.S3_BUCKET_PREFIX,
    credentials:
      env.OBJECT_STORE_CREDENTIALS === 'sts'
        ? { mode: 'sts', stsEndpoint: env.OBJECT_STORE_STS_ENDPOINT ?? env.S3_ENDPOINT, roleArn: env.OBJECT_STORE_ROLE_ARN, sessionSeconds: env.OBJECT_STORE_SESSION_SECONDS }
        : { mode: 'static' },
    ...(tlsCaFile !== undefined ? { tlsCaFile } : {}),
  };
}

export function toKeyProviderConfig(env: z.infer<typeof keyProviderVariables>): KeyProviderConfig {
  const base = { url: env.KEY_PROVIDER_URL, keyName: env.KEY_PROVIDER_KEY_NAME, mount: env.KEY_PROVIDER_MOUNT, tlsCa: env.KEY_PROVIDER_TLS_CA_FILE };
  return { ...base, token: env.KEY_PROVIDER_TOKEN, auth: toKeyProviderAuth(env) };
}

/**
 * The login method and exactly its inputs: a variable of another method is refused rather than
 * ignored, so a half-changed deployment (a token left beside an AppRole) fails at start-up.
 */
export function toKeyProviderAuth(env: z.infer<typeof keyProviderVariables>): KeyProviderAuthConfig {
  const method = env.KEY_PROVIDER_AUTH;
  const given = (names: readonly string[]) => names.filter((name) => (env as Record<string, unknown>)[name] !== undefined);
  const approleNames = ['KEY_PROVIDER_APPROLE_ROLE_ID', 'KEY_PROVIDER_APPROLE_SECRET_ID', 'KEY_PROVIDER_APPROLE_SECRET_ID_FILE'] as const;
  const foreign = [
    ...(method !== 'token' ? given(['KEY_PROVIDER_TOKEN']) : []),
    ...(method !== 'approle' ? given(approleNames) : []),
    ...(method !== 'kubernetes' ? given(['KEY_PROVIDER_KUBERNETES_ROLE']) : []),
    ...(method === 'token' ? given(['KEY_PROVIDER_AUTH_MOUNT']) : []),
  ];
  const problems = foreign.map((name) => `${name}: set, but KEY_PROVIDER_AUTH is ${method}`);
  if (method === 'approle') {
    if (!env.KEY_PROVIDER_APPROLE_ROLE_ID) problems.push('KEY_PROVIDER_APPROLE_ROLE_ID: required when KEY_PROVIDER_AUTH is approle');
    const secrets = given(['KEY_PROVIDER_APPROLE_SECRET_ID', 'KEY_PROVIDER_APPROLE_SECRET_ID_FILE']);
    if (secrets.length !== 1) problems.push('KEY_PROVIDER_APPROLE_SECRET_ID: exactly one of it and KEY_PROVIDER_APPROLE_SECRET_ID_FILE is required when KEY_PROVIDER_AUTH is approle');
  }
  if (method === 'kubernetes' && !env.KEY_PROVIDER_KUBERNETES_ROLE) problems.push('KEY_PROVIDER_KUBERNETES_ROLE: required when KEY_PROVIDER_AUTH is kubernetes');
  if (problems.length > 0) throw new ConfigError(problems);
  if (method === 'approle') {
    return { method, mount: env.KEY_PROVIDER_AUTH_MOUNT ?? 'approle', roleId: env.KEY_PROVIDER_APPROLE_ROLE_ID!, secretId: env.KEY_PROVIDER_APPROLE_SECRET_ID, secretIdFile: env.KEY_PROVIDER_APPROLE_SECRET_ID_FILE };
  }
  if (method === 'kubernetes') return { method, mount: env.KEY_PROVIDER_AUTH_MOUNT ?? 'kubernetes', role: env.KEY_PROVIDER_KUBERNETES_ROLE!, jwtFile: env.KEY_PROVIDER_KUBERNETES_JWT_FILE };
  return { method, token: env.KEY_PROVIDER_TOKEN };
}

export function toTelemetryConfig(env: z.infer<typeof telemetryVariables>): TelemetryConfig {
  return { exporter: env.TRACING_EXPORTER, otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, otlpCaFile: env.OTEL_EXPORTER_OTLP_CERTIFICATE, logLevel: env.LOG_LEVEL };
}

export function toRedisConfig(env: z.infer<typeof redisVariables>): RedisConfig {
  const tlsCaFile = env.REDIS_TLS_CA_FILE;
  if (tlsCaFile !== undefined) {
    // A CA with a redis:// URL would be ignored: the operator believes the link is encrypted.
    if (!isTlsRedisUrl(env.REDIS_URL)) throw new ConfigError(['REDIS_TLS_CA_FILE: set, but REDIS_URL is not a rediss:// URL']);
  }
  return { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, ...(tlsCaFile !== undefined ? { tlsCaFile } : {}) };
}

export function toAuditChainConfig(env: z.infer<typeof auditChainVariables>): AuditChainConfig {
  return {
    signingKey: env.AUDIT_SIGNING_KEY,
    verifyKeys: env.AUDIT_VERIFY_KEYS ?? [],
    relayIntervalMs: env.AUDIT_RELAY_INTERVAL_MS,
    relayFullSweepIntervalMs: env.AUDIT_RELAY_FULL_SWEEP_INTERVAL_MS,
    checkpointIntervalMs: env.AUDIT_CHECKPOINT_INTERVAL_MS,
    checkpointRetentionDays: env.AUDIT_CHECKPOINT_RETENTION_DAYS,
  };
}
