import { allow, and, deny, rule, shield, type IRule, type IRules } from 'graphql-shield';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { errors } from '@tessera/errors';
import type { Caller, Principal } from './principal';
import type { Role, TenantRole } from './roles';
import { permissionRoles, type Permission } from './assert-permission';

/** A subgraph's rule tree: a rule per type, or per field of a type. */
type ShieldRule = Exclude<IRules, Record<string, unknown>> | typeof allow;
export type RuleTree = Record<string, ShieldRule | Record<string, ShieldRule>>;

/** The part of every subgraph's context that authorization rules read. */
export interface AuthorizedContext {
  caller: Caller;
}

function userOf(ctx: AuthorizedContext): Principal | undefined {
  return ctx.caller.kind === 'user' ? ctx.caller : undefined;
}

/** The gateway loading the subgraph's SDL (`_service`); it is never a user. */
export const isGateway: IRule = rule({ cache: 'contextual' })((_parent, _args, ctx: AuthorizedContext) => ctx.caller.kind === 'gateway');

/** Any user of a tenant, whatever their role (the tenant itself was checked by the gateway). */
export const isTenantMember: IRule = rule({ cache: 'contextual' })((_parent, _args, ctx: AuthorizedContext) => {
  const user = userOf(ctx);
  return Boolean(user?.tenantId && user.roles.some((r) => r !== 'platform_admin')) || errors.forbidden();
});

/** A tenant user holding at least one of the roles. */
export function hasTenantRole(...roles: TenantRole[]): IRule {
  return rule(`hasTenantRole(${roles.join(',')})`, { cache: 'contextual' })((_parent, _args, ctx: AuthorizedContext) => {
    const user = userOf(ctx);
    if (!user?.tenantId) return errors.forbidden('This operation needs a tenant user.');
    return user.roles.some((r) => (roles as Role[]).includes(r)) || errors.forbidden(`This operation needs one of the roles: ${roles.join(', ')}.`);
  });
}

export const isPlatformAdmin: IRule = rule({ cache: 'contextual' })((_parent, _args, ctx: AuthorizedContext) => {
  const user = userOf(ctx);
  return Boolean(user?.roles.includes('platform_admin')) || errors.forbidden('This operation needs the platform_admin role.');
});

/** Role sets by intent, so every subgraph grants the same things the same way. */
export const can: Record<Permission, IRule> = {
  read: hasTenantRole(...permissionRoles.read),
  inspect: hasTenantRole(...permissionRoles.inspect),
  audit: hasTenantRole(...permissionRoles.audit),
  write: hasTenantRole(...permissionRoles.write),
  administer: hasTenantRole(...permissionRoles.administer),
};

/**
 * A tenant admin signed in as a person, not an API key: for the settings that watch over the
 * tenant (alert rules and webhook, the access-review schedule, usage budgets). A leaked key must
 * not be able to silence the alerts about its own use, or lift the spending cap.
 */
export const administersInPerson: ShieldRule = and(
  can.administer,
  rule('notApiKey', { cache: 'contextual' })((_parent, _args, ctx: AuthorizedContext) => !userOf(ctx)?.apiKeyId || errors.forbidden('API keys cannot change alerting, access-review or budget settings; sign in as a tenant admin.')),
);

/**
 * Deny by default: a field with no rule is refused (FORBIDDEN), never silently allowed.
 *
 * Errors thrown by resolvers and rules are re-thrown as they are (graphql-shield's `debug` flag
 * does exactly that and nothing else), so typed errors (NOT_FOUND, BAD_USER_INPUT…) reach the
 * client and a failing dependency reaches the error masker (SERVICE_UNAVAILABLE) instead of
 * becoming a FORBIDDEN. `allowExternalErrors` would *return* the error as the field's value, which
 * graphql-js only treats as an error when it is an `Error` of its own realm (not the case for
 * Node's socket errors under Jest's sandbox, which then surfaced as non-null violations).
 */
export function createShield(rules: RuleTree) {
  return shield(rules as IRules, {
    fallbackRule: deny,
    fallbackError: () => errors.forbidden(),
    allowExternalErrors: false,
    debug: true,
  });
}

/**
 * Adds the rules for the federation plumbing every subgraph has: `_service` (the gateway reading
 * the SDL) and, where the subgraph has entities, `_entities` (tenant users, via the query plan).
 */
export function withFederationRules(schema: GraphQLSchema, rules: RuleTree): RuleTree {
  const query = (rules['Query'] ?? {}) as Record<string, ShieldRule>;
  const hasEntities = Boolean(schema.getQueryType()?.getFields()['_entities']);
  return {
    ...rules,
    Query: { ...query, _service: isGateway, ...(hasEntities ? { _entities: isTenantMember } : {}) },
    _Service: { sdl: isGateway },
  };
}

/**
 * Lists `Type.field` for every object field no rule covers (by field, `*` or a type-wide rule).
 * A subgraph's test asserts this is empty, so adding a field without deciding who may read it fails CI.
 */
export function fieldsWithoutRules(schema: GraphQLSchema, rules: RuleTree): string[] {
  const tree = rules as Record<string, unknown>;
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeRules = tree[type.name];
    if (typeRules === undefined) {
      missing.push(...Object.keys(type.getFields()).map((field) => `${type.name}.${field}`));
      continue;
    }
    if (typeof typeRules !== 'object' || typeRules === null || !isPlainRuleMap(typeRules)) continue; // a type-wide rule
    const map = typeRules as Record<string, unknown>;
    if ('*' in map) continue;
    for (const field of Object.keys(type.getFields())) if (!(field in map)) missing.push(`${type.name}.${field}`);
  }
  return missing;
}

function isPlainRuleMap(value: object): boolean {
  return Object.getPrototypeOf(value) === Object.prototype;
}

export { allow, deny };
