import { aclFileLine } from './acl-rules';
import { redisAdminUser, redisPasswordVariable, redisServices } from './redis-users';
import { serviceAcl } from './service-acl';

/** `{{sha256:NAME}}`: replaced by the SHA-256 (hex) of the password in the environment variable NAME. */
export const passwordPlaceholder = (variable: string) => `#{{sha256:${variable}}}`;

/**
 * The default user: off, so a connection without credentials can do nothing, and without a
 * password (`resetpass`), so nobody can log in as it. Its rights are all, on purpose: Redis (7.0)
 * replays the AOF as the default user and checks each MULTI/EXEC block (how scripts' effects are
 * persisted, e.g. every BullMQ job) against its rights; with none, a restart silently drops them.
 */
export const defaultUserLine = 'user default off resetpass ~* &* +@all';

/**
 * The ACL file of a deployment with this key prefix, with password placeholders: the default user
 * (above), the operator's admin user, and one user per service. deploy/redis/users.acl.template is this for the prefix `tessera`; a test keeps it
 * up to date. Dedicated-tier workers' users are added at run time (scripts/redis-acl.ts).
 */
export function aclFileTemplate(keyPrefix: string): string {
  return [
    '# Generated from packages/redis-acl (npx tsx scripts/redis-acl.ts template); do not edit by hand.',
    `# Key prefix: ${keyPrefix}. {{sha256:VAR}} is replaced by the SHA-256 of the password in VAR.`,
    defaultUserLine,
    `user ${redisAdminUser} on ${passwordPlaceholder(redisPasswordVariable('admin'))} ~* &* +@all`,
    ...redisServices.map((service) => aclFileLine(serviceAcl(keyPrefix, service), passwordPlaceholder(redisPasswordVariable(service)))),
    '',
  ].join('\n');
}
