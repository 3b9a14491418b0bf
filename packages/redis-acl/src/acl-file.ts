import { aclFileLine } from './acl-rules';
import { redisAdminUser, redisPasswordVariable, redisServices } from './redis-users';
import { serviceAcl } from './service-acl';

/** `{{sha256:NAME}}`: replaced by the SHA-256 (hex) of the password in the environment variable NAME. */
export const passwordPlaceholder = (variable: string) => `#{{sha256:${variable}}}`;

/**
 * The ACL file of a deployment with this key prefix, with password placeholders: the default user
 * off (a connection without credentials can do nothing), the operator's admin user, and one user
 * per service. deploy/redis/users.acl.template is this for the prefix `tessera`; a test keeps it
 * up to date. Dedicated-tier workers' users are added at run time (scripts/redis-acl.ts).
 */
export function aclFileTemplate(keyPrefix: string): string {
  return [
    '# Generated from packages/redis-acl (npx tsx scripts/redis-acl.ts template); do not edit by hand.',
    `# Key prefix: ${keyPrefix}. {{sha256:VAR}} is replaced by the SHA-256 of the password in VAR.`,
    'user default off resetkeys resetchannels -@all',
    `user ${redisAdminUser} on ${passwordPlaceholder(redisPasswordVariable('admin'))} ~* &* +@all`,
    ...redisServices.map((service) => aclFileLine(serviceAcl(keyPrefix, service), passwordPlaceholder(redisPasswordVariable(service)))),
    '',
  ].join('\n');
}
