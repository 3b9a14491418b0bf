import { randomBytes } from 'node:crypto';
import { generateInternalKeyPair, type Role } from '@tessera/auth';
import { createLogger, type DatabaseConfig } from '@tessera/config';
import { fetchClientCredentialsToken, registerClient } from '@tessera/dev-issuer/client';
import { startIssuerProcess, startS3Server, type RunningIssuerProcess, type RunningS3Server } from '@tessera/local-infra';
import { startPlatform, type PlatformConfig, type RunningPlatform } from '@tessera/platform';
import { startTelemetry } from '@tessera/telemetry';
import { quoteIdentifier, tenantBucketName, type TenantTier } from '@tessera/tenancy';
import { postGraphQL, type GraphQLResponse } from './graphql-client';

export const testAudience = 'https://api.tessera.test';

export interface TestTenant {
  id: string;
  bucket: string;
  schema: string;
  /** A real access token from the real issuer for a user of this tenant with `role`. */
  token(role: Exclude<Role, 'platform_admin'>): Promise<string>;
}

export interface TestStack {
  platform: RunningPlatform;
  issuer: RunningIssuerProcess;
  s3: RunningS3Server;
  config: PlatformConfig;
  graphqlUrl: string;
  gatewayUrl: string;
  /** Provisions a fresh tenant (own schema, bucket, key) through the real provisioner. */
  createTenant(options?: { tier?: TenantTier; limits?: PlatformTenantLimits }): Promise<TestTenant>;
  /** A token for any claims: registers a client at the issuer and runs client_credentials. */
  issueToken(claims: { tenant?: string; roles: string[]; tokenTtlSeconds?: number; resource?: string }): Promise<string>;
  platformAdminToken(): Promise<string>;
  query<T = Record<string, unknown>>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

type PlatformTenantLimits = Partial<{ maxUploadBytes: number; maxStorageBytes: number; requestsPerMinute: number }>;

export interface TestStackOptions {
  /** Gateway JWKS refetch cooldown; short in tests that rotate issuer keys. */
  jwksCooldownMs?: number;
  /** How long the gateway and subgraphs cache a tenant's record; 0 (the default here) reads MySQL on every request. */
  tenantCacheTtlMs?: number;
}

const databaseUrl = process.env['DATABASE_URL'] ?? 'mysql://tessera:tessera-local-dev@127.0.0.1:3306';
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Starts the whole platform against the real services: an OIDC issuer (child process), an
 * S3-compatible server, MariaDB (a fresh control-plane schema for this test file), the six
 * subgraphs and the gateway on free ports. Everything it creates is removed by `stop()`.
 */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  startTelemetry({ serviceName: 'tessera-test', exporter: 'memory' });
  const suffix = randomBytes(4).toString('hex');
  const s3Credentials = { accessKey: `test${suffix}`, secretKey: randomBytes(16).toString('hex') };
  const [issuer, s3, internalContextKeys] = await Promise.all([
    startIssuerProcess({ audience: testAudience }),
    startS3Server(s3Credentials),
    generateInternalKeyPair(),
  ]);
  const database: DatabaseConfig = { url: databaseUrl, controlSchema: `tessera_test_${suffix}`, poolSize: 8 };
  const config: PlatformConfig = {
    logger: createLogger(process.env['TEST_LOG_LEVEL'] === 'debug' ? 'debug' : 'silent'),
    database,
    objectStore: { endpoint: s3.endpoint, ...s3Credentials, defaultRegion: 'us-east-1', bucketPrefix: 'tessera' },
    // A prefix per test file: queues and channels of parallel test files never meet.
    redis: { url: redisUrl, keyPrefix: `ttest-${suffix}` },
    masterKey: randomBytes(32),
    internalContextKeys,
    oidc: {
      issuerUrl: issuer.issuerUrl,
      audience: testAudience,
      algorithms: ['ES256', 'RS256'],
      tenantClaim: 'tenant',
      rolesClaim: 'roles',
      jwksCooldownMs: options.jwksCooldownMs ?? 30_000,
      jwksCacheMaxAgeMs: 600_000,
      clockToleranceSeconds: 0,
    },
    gatewayPort: 0,
    regions: ['us-east-1', 'eu-west-1'],
    tenantCacheTtlMs: options.tenantCacheTtlMs ?? 0,
    corsOrigins: ['https://studio.apollographql.com'],
    maxQueryDepth: 12,
    maxUploadBytes: 1024 * 1024 * 1024,
  };
  let platform: RunningPlatform;
  try {
    platform = await startPlatform(config);
  } catch (error) {
    await issuer.stop();
    await s3.close();
    throw error;
  }
  const tenants: string[] = [];
  const tokenCache = new Map<string, Promise<string>>();

  const issueToken: TestStack['issueToken'] = async (claims) => {
    const client = await registerClient(issuer.issuerUrl, issuer.registrationToken, {
      ...(claims.tenant ? { tenant: claims.tenant } : {}),
      roles: claims.roles,
      ...(claims.tokenTtlSeconds ? { tokenTtlSeconds: claims.tokenTtlSeconds } : {}),
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

  return {
    platform,
    issuer,
    s3,
    config,
    graphqlUrl: platform.gateway.graphqlUrl,
    gatewayUrl: platform.gateway.url,
    issueToken,
    platformAdminToken: () => cachedToken(undefined, ['platform_admin']),
    createTenant: async (tenantOptions = {}) => {
      const id = `t${randomBytes(5).toString('hex')}`;
      tenants.push(id);
      await platform.provisioner.provision({ id, displayName: `Test ${id}`, region: 'us-east-1', tier: tenantOptions.tier ?? 'shared', limits: tenantOptions.limits });
      return {
        id,
        bucket: tenantBucketName('tessera', id),
        schema: `tenant_${id}`,
        token: (role) => cachedToken(id, [role]),
      };
    },
    query: (token, query, variables) => postGraphQL(platform.gateway.graphqlUrl, token, query, variables),
    stop: async () => {
      for (const id of tenants) await platform.provisioner.deprovision(id).catch(() => undefined);
      await platform.runtime.db.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(database.controlSchema)}`).catch(() => undefined);
      await platform.stop();
      await Promise.all([issuer.stop(), s3.close()]);
    },
  };
}
