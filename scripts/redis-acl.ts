/**
 * The Redis ACL of the platform (packages/redis-acl), for operators:
 *
 *   npx tsx scripts/redis-acl.ts template [PREFIX]        the ACL file with password placeholders
 *                                                         (deploy/redis/users.acl.template is PREFIX tessera)
 *   npx tsx scripts/redis-acl.ts apply                    creates or redefines every service user
 *   npx tsx scripts/redis-acl.ts dedicated-worker TENANT  creates the user of TENANT's dedicated workers
 *                                                         and prints the REDIS_URL to start them with
 *
 * `apply` and `dedicated-worker` connect with REDIS_ADMIN_URL (default: the local dev admin) and
 * use REDIS_KEY_PREFIX (default tessera) and REDIS_TLS_CA_FILE (default for the local admin: the local CA). Passwords come from REDIS_<SERVICE>_PASSWORD (for a
 * dedicated worker REDIS_WORKER_PASSWORD_<TENANT>, '-' as '_'; random when unset); without one,
 * `apply` uses the dev-only default and says so.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisConnectionOptions } from '@tessera/config';
import {
  aclFileTemplate,
  applyAcls,
  dedicatedWorkerAcl,
  devRedisPassword,
  localAdminRedisUrl,
  localRedisCaFile,
  redisPasswordVariable,
  redisServices,
  redisUrlAs,
  redisUrlUser,
  serviceAcl,
} from '@tessera/redis-acl';

async function withAdmin(run: (admin: Redis) => Promise<void>): Promise<void> {
  const url = process.env['REDIS_ADMIN_URL'] ?? localAdminRedisUrl;
  const tlsCaFile = process.env['REDIS_TLS_CA_FILE'] || (process.env['REDIS_ADMIN_URL'] ? undefined : localRedisCaFile());
  const admin = new Redis(url, { ...redisConnectionOptions({ url, tlsCaFile }), maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await admin.connect();
    // ioredis carries on as the default user when AUTH fails: make sure this is the admin.
    const who = String(await admin.call('ACL', 'WHOAMI'));
    if (who !== redisUrlUser(url)) throw new Error(`logged in to Redis as ${who}, not ${redisUrlUser(url)}: set REDIS_ADMIN_URL`);
    await run(admin);
  } finally {
    admin.disconnect();
  }
}

async function main(args: string[]): Promise<void> {
  const prefix = process.env['REDIS_KEY_PREFIX'] ?? 'tessera';
  const [command, argument] = args;
  switch (command) {
    case 'template':
      process.stdout.write(aclFileTemplate(argument ?? prefix));
      return;
    case 'apply':
      await withAdmin(async (admin) => {
        const users = redisServices.map((service) => {
          const acl = serviceAcl(prefix, service);
          const given = process.env[redisPasswordVariable(service)];
          if (!given) process.stderr.write(`${acl.user}: ${redisPasswordVariable(service)} unset, using the dev-only default password\n`);
          return { acl, passwords: [given || devRedisPassword(acl.user)] };
        });
        await applyAcls(admin, users);
        process.stderr.write(`applied ${users.length} Redis users for the key prefix ${prefix}\n`);
      });
      return;
    case 'dedicated-worker': {
      if (!argument) throw new Error('usage: redis-acl.ts dedicated-worker TENANT');
      const acl = dedicatedWorkerAcl(prefix, argument);
      const password = process.env[`REDIS_WORKER_PASSWORD_${argument.toUpperCase().replace(/-/g, '_')}`] || randomBytes(24).toString('hex');
      await withAdmin(async (admin) => {
        await applyAcls(admin, [{ acl, passwords: [password] }]);
        const base = new URL(process.env['REDIS_URL'] ?? 'rediss://127.0.0.1:6380');
        process.stdout.write(`REDIS_URL=${redisUrlAs(`${base.protocol}//${base.host}`, acl.user, password)}\n`);
      });
      return;
    }
    default:
      throw new Error('usage: redis-acl.ts template [PREFIX] | apply | dedicated-worker TENANT');
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
