import type { Redis } from 'ioredis';
import { setUserArguments } from './acl-rules';
import type { RedisAcl } from './service-acl';

/** Creates or redefines each user (ACL SETUSER ... reset ...), over an admin connection. Idempotent. */
export async function applyAcls(admin: Redis, users: ReadonlyArray<{ acl: RedisAcl; passwords: readonly string[] }>): Promise<void> {
  for (const { acl, passwords } of users) await admin.call('ACL', 'SETUSER', ...setUserArguments(acl, passwords));
}

/** Removes users (their open connections are closed by Redis). */
export async function deleteUsers(admin: Redis, users: readonly string[]): Promise<void> {
  if (users.length > 0) await admin.call('ACL', 'DELUSER', ...users);
}
