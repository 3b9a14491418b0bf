import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisConnectionOptions, type RedisConfig } from '@tessera/config';
import type { RedisByService } from '@tessera/platform';
import { applyAcls, dedicatedWorkerAcl, devRedisPassword, redisAdminUser, redisConfigAs, redisPasswordVariable, redisServices, serviceAcl } from '@tessera/redis-acl';

export interface LauncherRedisAccounts {
  /** What a service without its own user would get: REDIS_URL as given (anonymous on a local Redis: refused). */
  shared: RedisConfig;
  /** Each service's user on the local Redis (scripts/local-redis.sh created them); undefined for a Redis given by REDIS_URL. */
  byService: RedisByService | undefined;
  /** A worker's account: the shared pool's user, or a dedicated tenant's (created now with a random password). */
  worker(dedicatedTenant: string | undefined): Promise<RedisConfig>;
}

/**
 * On a local Redis (REDIS_URL on loopback, no credentials), every service of `npm start` connects as its own ACL user, with the password
 * scripts/local-redis.sh gave it: REDIS_<SERVICE>_PASSWORD, or the dev-only default. A Redis named
 * by REDIS_URL is used as that one account for everything (its operator decides its users).
 */
export function launcherRedisAccounts(redisUrl: string, serviceUsers: boolean, keyPrefix: string, env: NodeJS.ProcessEnv = process.env, tlsCaFile?: string): LauncherRedisAccounts {
  // Every service's config is made from this one, so each carries the CA (worker processes too).
  const shared: RedisConfig = { url: redisUrl, keyPrefix, ...(tlsCaFile ? { tlsCaFile } : {}) };
  if (!serviceUsers) return { shared, byService: undefined, worker: async () => shared };
  const byService: RedisByService = {};
  for (const service of redisServices) {
    const { user } = serviceAcl(keyPrefix, service);
    byService[service] = redisConfigAs(shared, user, env[redisPasswordVariable(service)] || devRedisPassword(user));
  }
  const adminUrl = redisConfigAs(shared, redisAdminUser, env[redisPasswordVariable('admin')] || devRedisPassword(redisAdminUser)).url;
  return {
    shared,
    byService,
    worker: async (tenantId) => {
      if (!tenantId) return byService.worker!;
      // A dedicated tenant's user exists only while its worker is wanted: created here, for this run.
      const acl = dedicatedWorkerAcl(keyPrefix, tenantId);
      const password = randomBytes(16).toString('hex');
      const admin = new Redis(adminUrl, { ...redisConnectionOptions(shared), maxRetriesPerRequest: 1, lazyConnect: true });
      try {
        await admin.connect();
        await applyAcls(admin, [{ acl, passwords: [password] }]);
      } finally {
        admin.disconnect();
      }
      return redisConfigAs(shared, acl.user, password);
    },
  };
}
