import type { RedisAcl } from './service-acl';

/**
 * The ACL rules of a user, in the order Redis applies them: start from nothing (`resetkeys`,
 * `resetchannels`, `-@all`), then grant. Without a password rule: the callers add theirs.
 */
export function aclRules(acl: RedisAcl): string[] {
  return ['on', 'resetkeys', ...acl.keys, 'resetchannels', ...acl.channels, '-@all', ...acl.commands];
}

/**
 * Arguments of `ACL SETUSER <user> ...` that make the user exactly this, whatever it was before
 * (`reset` first, so applying twice, or after a change of the rules, is the same as once).
 * `>password` adds a password; several passwords at once are how a rotation overlaps (see README).
 */
export function setUserArguments(acl: RedisAcl, passwords: readonly string[]): string[] {
  if (passwords.length === 0) throw new Error(`${acl.user}: a Redis user needs a password`);
  return [acl.user, 'reset', ...passwords.map((password) => `>${password}`), ...aclRules(acl)];
}

/**
 * One line of an ACL file (`redis-server --aclfile`). The password rule is given as is: `#<sha256>`
 * (what files should hold) or a placeholder that deploy/redis/start-redis.sh and
 * scripts/local-services.sh substitute.
 */
export function aclFileLine(acl: RedisAcl, passwordRule: string): string {
  return ['user', acl.user, passwordRule, ...aclRules(acl)].join(' ');
}
