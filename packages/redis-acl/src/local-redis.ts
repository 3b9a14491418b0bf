import { join, resolve } from 'node:path';
import { redisAdminUser, devRedisPassword } from './redis-users';

/** The local development Redis (scripts/local-redis.sh: TLS only, port 6380) as its admin, with the dev-only default password. */
export const localAdminRedisUrl = `rediss://${redisAdminUser}:${devRedisPassword(redisAdminUser)}@127.0.0.1:6380`;

/**
 * The local CA's certificate, which signed the local Redis's server certificate: the file
 * scripts/local-pki.sh writes (TESSERA_PKI_DIR, default <repo>/.tessera/pki, the same rule as
 * packages/local-infra, which this package does not load: it would bring the test servers along).
 */
export function localRedisCaFile(env: NodeJS.ProcessEnv = process.env): string {
  const directory = env['TESSERA_PKI_DIR'] ? resolve(env['TESSERA_PKI_DIR']) : join(resolve(__dirname, '..', '..', '..'), '.tessera', 'pki');
  return join(directory, 'ca.pem');
}

export interface RedisAccount {
  url: string;
  /** The Redis has the ACL on, and `url` is its admin. */
  acl: boolean;
  /** The CA the server certificate chains to (REDIS_TLS_CA_FILE; the local CA for the local Redis). */
  tlsCaFile: string | undefined;
}

/**
 * The account tests and dev tools use to reach Redis directly (to inspect, forge or clean up state,
 * and to create a test stack's users): REDIS_ADMIN_URL; else REDIS_URL alone, a Redis without ACL
 * whose one account everything shares (`acl: false`); else the local Redis's admin.
 */
export function redisAccountFromEnvironment(env: NodeJS.ProcessEnv = process.env): RedisAccount {
  const given = env['REDIS_TLS_CA_FILE'] || undefined;
  const admin = env['REDIS_ADMIN_URL'];
  if (admin) return { url: admin, acl: true, tlsCaFile: given };
  const plain = env['REDIS_URL'];
  if (plain) return { url: plain, acl: false, tlsCaFile: given };
  return { url: localAdminRedisUrl, acl: true, tlsCaFile: given ?? localRedisCaFile(env) };
}
