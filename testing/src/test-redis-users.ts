import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisConfig } from '@tessera/config';
import type { RedisByService } from '@tessera/platform';
import { applyAcls, dedicatedWorkerAcl, deleteUsers, redisConfigAs, redisServices, serviceAcl, type RedisAcl } from '@tessera/redis-acl';

/**
 * The Redis accounts of one test stack. With REDIS_ADMIN_URL set (a Redis with the ACL on, see
 * scripts/local-redis.sh), every service of the stack connects as its own ACL user, created for
 * this stack's key prefix with random passwords and deleted at stop; the test code itself (which
 * inspects and forges Redis state on purpose) gets the admin account. Without it, everything uses
 * REDIS_URL as one account, as before the ACL.
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
  const adminUrl = process.env['REDIS_ADMIN_URL'];
  if (!adminUrl) {
    const shared = { url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', keyPrefix };
    return { shared, byService: undefined, worker: async () => shared, close: async () => undefined };
  }
  const shared: RedisConfig = { url: adminUrl, keyPrefix };
  const admin = new Redis(adminUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  admin.on('error', () => undefined);
  await admin.connect();
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
