import { z } from 'zod';
import { base64Key32, booleanFlag, jsonWebKey, logLevel, tracingExporter, url } from './variables';

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
});

export const objectStoreVariables = z.object({
  S3_ENDPOINT: url().default('http://127.0.0.1:9000'),
  S3_ACCESS_KEY: z.string().min(3),
  S3_SECRET_KEY: z.string().min(8),
  S3_DEFAULT_REGION: z.string().default('us-east-1'),
  S3_BUCKET_PREFIX: z.string().regex(/^[a-z0-9-]{1,20}$/).default('tessera'),
});

export const encryptionVariables = z.object({
  MASTER_KEY: base64Key32(),
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
});

export const telemetryVariables = z.object({
  TRACING_EXPORTER: tracingExporter(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url().optional(),
  LOG_LEVEL: logLevel(),
  PRETTY_LOGS: booleanFlag(false),
});

export interface DatabaseConfig {
  url: string;
  controlSchema: string;
  poolSize: number;
}

export interface RedisConfig {
  url: string;
  keyPrefix: string;
}

export interface ObjectStoreConfig {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  defaultRegion: string;
  bucketPrefix: string;
}

export interface TelemetryConfig {
  exporter: 'otlp' | 'console' | 'none';
  otlpEndpoint: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export function toDatabaseConfig(env: z.infer<typeof databaseVariables>): DatabaseConfig {
  return { url: env.DATABASE_URL, controlSchema: env.CONTROL_SCHEMA, poolSize: env.DATABASE_POOL_SIZE };
}

export function toObjectStoreConfig(env: z.infer<typeof objectStoreVariables>): ObjectStoreConfig {
  return {
    endpoint: env.S3_ENDPOINT,
    accessKey: env.S3_ACCESS_KEY,
    secretKey: env.S3_SECRET_KEY,
    defaultRegion: env.S3_DEFAULT_REGION,
    bucketPrefix: env.S3_BUCKET_PREFIX,
  };
}

export function toTelemetryConfig(env: z.infer<typeof telemetryVariables>): TelemetryConfig {
  return { exporter: env.TRACING_EXPORTER, otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, logLevel: env.LOG_LEVEL };
}

export function toRedisConfig(env: z.infer<typeof redisVariables>): RedisConfig {
  return { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX };
}
