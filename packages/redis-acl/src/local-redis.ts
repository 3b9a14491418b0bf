import { redisAdminUser, devRedisPassword } from './redis-users';

/** The local development Redis (scripts/local-redis.sh) as its admin, with the dev-only default password. */
export const localAdminRedisUrl = `redis://${redisAdminUser}:${devRedisPassword(redisAdminUser)}@127.0.0.1:6379`;

/**
 * The account tests and dev tools use to reach Redis directly (to inspect, forge or clean up state,
 * and to create a test stack's users): REDIS_ADMIN_URL; else REDIS_URL alone, a Redis without ACL
 * whose one account everything shares (`acl: false`); else the local Redis's admin.
 */
export function redisAccountFromEnvironment(env: NodeJS.ProcessEnv = process.env): { url: string; acl: boolean } {
  const admin = env['REDIS_ADMIN_URL'];
  if (admin) return { url: admin, acl: true };
  const plain = env['REDIS_URL'];
  if (plain) return { url: plain, acl: false };
  return { url: localAdminRedisUrl, acl: true };
}
