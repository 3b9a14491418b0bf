import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisConnectionOptions, type RedisConfig } from '@tessera/config';
import type { RedisByService } from '@tessera/platform';
import { applyAcls, dedicatedWorkerAcl, deleteUsers, redisAccountFromEnvironment, redisConfigAs, redisUrlUser, redisServices, serviceAcl, type RedisAcl } from '@tessera/redis-acl';

/**
 * The Redis accounts of one test stack. On a Redis with the ACL on (the local one after
 * scripts/local-redis.sh, or REDIS_ADMIN_URL's), every service of the stack connects as its own
 * ACL user, created for this stack's key prefix with random passwords and deleted at stop; the test
 * code itself (which inspects and forges Redis state on purpose) gets the admin account. With only
 * REDIS_URL set (a Redis without ACL), everything uses that one account.
 */
export interface TestRedisUsers {
  /** What the test code and the cleanup use: the admin in ACL mode, REDIS_URL otherwise. */
  shared: RedisConfig;
  /** Each service's own user; undefined without ACL. */
  byService: RedisByService | undefined;
  /** The account of a worker process: the shared pool's user, or a dedicated tenant's (created on first use). */
  worker(dedicatedTenant: string | undefined): Promise<RedisConfig>;
  /** Deletes the users this stack created. */
  close(): Promise<void>;
}

export async function createTestRedisUsers(keyPrefix: string): Promise<TestRedisUsers> {
  const account = redisAccountFromEnvironment();
  // The CA goes to every config made from this one (the services' users, worker processes).
  const tls = account.tlsCaFile ? { tlsCaFile: account.tlsCaFile } : {};
  if (!account.acl) {
    const shared = { url: account.url, keyPrefix, ...tls };
    return { shared, byService: undefined, worker: async () => shared, close: async () => undefined };
  }
  const shared: RedisConfig = { url: account.url, keyPrefix, ...tls };
  const admin = new Redis(account.url, { ...redisConnectionOptions(shared), maxRetriesPerRequest: 1, lazyConnect: true });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    // ioredis carries on as the default user when AUTH fails: a Redis without the ACL would
    // otherwise look like one where the admin logged in.
    const who = String(await admin.call('ACL', 'WHOAMI'));
    const expected = redisUrlUser(account.url);
    if (who !== expected) throw new Error(`logged in as ${who}, not ${expected}`);
  } catch (error) {
    admin.disconnect();
    throw new Error(
      `cannot log in to Redis as its admin (${new URL(account.url).host}): ${error instanceof Error ? error.message : String(error)}. ` +
        'Run (as root) bash scripts/local-services.sh to give the local Redis its ACL, or set REDIS_ADMIN_URL (or REDIS_URL for a Redis without ACL).',
    );
  }
  const created: string[] = [];
  const create = async (acl: RedisAcl): Promise<RedisConfig> => {
    const password = randomBytes(16).toString('hex');
    await applyAcls(admin, [{ acl, passwords: [password] }]);
    created.push(acl.user);
    return redisConfigAs(shared, acl.user, password);
  };
  const byService: RedisByService = {};
  for (const service of redisServices) byService[service] = await create(serviceAcl(keyPrefix, service));
  const dedicated = new Map<string, Promise<RedisConfig>>();
  return {
    shared,
    byService,
    worker: async (tenantId) => {
      if (!tenantId) return byService.worker!;
      let config = dedicated.get(tenantId);
      if (!config) dedicated.set(tenantId, (config = create(dedicatedWorkerAcl(keyPrefix, tenantId))));
      return config;
    },
    close: async () => {
      await deleteUsers(admin, created).catch(() => undefined);
      admin.disconnect();
    },
  };
}
