/**
 * Who connects to Redis. Each long-running service has its own ACL user, so a bug (or an attacker)
 * in one service reaches only the keys and channels that service needs. User names carry the key
 * prefix: deployments (and test files) sharing a Redis each get their own users.
 */
export const redisServices = ['gateway', 'datasets', 'models', 'jobs', 'audit', 'metrics', 'tenants', 'worker'] as const;
export type RedisService = (typeof redisServices)[number];

/**
 * The operator's account: creates and rotates the service users, and the test harness cleans up
 * with it. No service is ever given it. One per Redis, so its name carries no prefix.
 */
export const redisAdminUser = 'tessera-admin';

/** Key prefixes and tenant ids end up inside ACL glob patterns: only characters without glob meaning. */
const globSafe = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function assertGlobSafe(what: string, value: string): void {
  if (!globSafe.test(value)) throw new Error(`${what} ${JSON.stringify(value)} cannot be used in a Redis ACL pattern (only a-z, 0-9 and -)`);
}

export function redisUserName(keyPrefix: string, service: RedisService): string {
  assertGlobSafe('key prefix', keyPrefix);
  return `${keyPrefix}-${service}`;
}

/** A worker started for one dedicated-tier tenant runs as its own user, confined to that tenant. */
export function dedicatedWorkerUserName(keyPrefix: string, tenantId: string): string {
  assertGlobSafe('key prefix', keyPrefix);
  assertGlobSafe('tenant id', tenantId);
  return `${keyPrefix}-worker-${tenantId}`;
}

/** The environment variable that holds a service's Redis password (compose, local-services.sh). */
export function redisPasswordVariable(service: RedisService | 'admin'): string {
  return `REDIS_${service.toUpperCase()}_PASSWORD`;
}

/**
 * Local development only: a password anyone can derive from the user name, like the database's
 * `tessera-local-dev`. scripts/local-services.sh computes the same; every real deployment sets
 * REDIS_<SERVICE>_PASSWORD (deploy/generate-env.ts makes random ones).
 */
export function devRedisPassword(user: string): string {
  return `${user}-local-dev`;
}
