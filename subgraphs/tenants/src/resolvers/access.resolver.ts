import { TenantTurns, type GraphQLResolverMap } from '@tessera/service-kit';
import type { SubgraphContext } from '@tessera/service-kit';
import type { ApiKeyRow, MemberRow, ServiceAccountRow } from '../data/access.repository';
import { roleToEnum } from '../domain/access-input';
import { currentPrincipal } from '../domain/current-principal';
import { invitationExpired, isPendingInvitation, MembersService, type AccessAdminDeps, type InviteMemberInput } from '../domain/members.service';
import { ServiceAccountsService, type CreateApiKeyInput } from '../domain/service-accounts.service';
import { namedInAnswer } from '../domain/access-change-publisher';
import { serviceAccountSubject } from '../ports/access-directory';

type TenantArg = { tenantId?: string | null };
const iso = (value: Date | null) => (value ? value.toISOString() : null);

/**
 * Turns for the whole-tenant access lists (`members`, `serviceAccounts`). They return every row of
 * the tenant, and nothing caps how many accounts, keys and invitations an admin creates; the fields
 * of one operation resolve in parallel. Before, one tenant's 80 aliased lists of 20 000 accounts
 * held every connection of the pool and the event loop the tenants service runs for all tenants
 * for minutes. One list of a tenant at a time, half the pool for all tenants.
 */
export function accessListTurns(poolSize: number): TenantTurns {
  return new TenantTurns({
    perTenant: 1,
    inFlight: Math.max(1, Math.floor(poolSize / 2)),
    queueWaitMs: 2_000,
    maxQueuedPerTenant: 4,
    retryAfterSeconds: 2,
    refusal: {
      perTenantLimit: 'accessListsPerTenant',
      inFlightLimit: 'accessListsInFlight',
      perTenantMessage: (limitValue) => `Your tenant already has ${limitValue} member or service account list running on this replica; retry once it has answered.`,
      inFlightMessage: 'The tenants service is answering as many member and service account lists as it allows at once; retry in a moment.',
    },
  });
}

/** Whose turn a list takes: the caller's tenant, or a platform operator's own. */
function listTurnOf(ctx: SubgraphContext): string {
  const user = ctx.user();
  return user.tenantId ?? `platform:${user.subject}`;
}

export function accessResolvers(deps: AccessAdminDeps, lists: TenantTurns): GraphQLResolverMap<SubgraphContext> {
  // Every change is also named in this request's answer, for the gateway that carried it.
  const forRequest = (ctx: SubgraphContext): AccessAdminDeps => ({ ...deps, changes: namedInAnswer(deps.changes, ctx.responseHeaders) });
  const members = (ctx: SubgraphContext) => new MembersService(ctx.user(), forRequest(ctx));
  const accounts = (ctx: SubgraphContext) => new ServiceAccountsService(ctx.user(), forRequest(ctx));
  return {
    Query: {
      me: (_: unknown, _args: unknown, ctx: SubgraphContext) => currentPrincipal(ctx.user()),
      members: (_: unknown, args: TenantArg, ctx: SubgraphContext) => lists.run(listTurnOf(ctx), () => members(ctx).list(args.tenantId)),
      serviceAccounts: (_: unknown, args: TenantArg, ctx: SubgraphContext) => lists.run(listTurnOf(ctx), () => accounts(ctx).list(args.tenantId)),
    },
    Mutation: {
      inviteMember: (_: unknown, args: { input: InviteMemberInput }, ctx: SubgraphContext) => members(ctx).invite(args.input),
      changeMemberRole: (_: unknown, args: { id: string; role: string } & TenantArg, ctx: SubgraphContext) => members(ctx).changeRole(args.id, args.role, args.tenantId),
      removeMember: (_: unknown, args: { id: string } & TenantArg, ctx: SubgraphContext) => members(ctx).remove(args.id, args.tenantId),
      resendInvitation: (_: unknown, args: { id: string; expiresInHours?: number | null } & TenantArg, ctx: SubgraphContext) => members(ctx).resendInvitation(args.id, args.expiresInHours, args.tenantId),
      revokeInvitation: (_: unknown, args: { id: string } & TenantArg, ctx: SubgraphContext) => members(ctx).revokeInvitation(args.id, args.tenantId),
      createServiceAccount: (_: unknown, args: { input: { name: string; role: string } & TenantArg }, ctx: SubgraphContext) => accounts(ctx).create(args.input),
      deleteServiceAccount: (_: unknown, args: { id: string } & TenantArg, ctx: SubgraphContext) => accounts(ctx).delete(args.id, args.tenantId),
      createApiKey: (_: unknown, args: { input: CreateApiKeyInput }, ctx: SubgraphContext) => accounts(ctx).createKey(args.input),
      revokeApiKey: (_: unknown, args: { id: string } & TenantArg, ctx: SubgraphContext) => accounts(ctx).revokeKey(args.id, args.tenantId),
    },
    Member: {
      subject: (m: MemberRow) => m.subject ?? m.boundSubject,
      role: (m: MemberRow) => roleToEnum(m.role),
      status: (m: MemberRow) => (!isPendingInvitation(m) ? 'ACTIVE' : invitationExpired(m) ? 'EXPIRED' : 'INVITED'),
      expiresAt: (m: MemberRow) => (isPendingInvitation(m) ? iso(m.expiresAt) : null),
      createdAt: (m: MemberRow) => m.createdAt.toISOString(),
      updatedAt: (m: MemberRow) => m.updatedAt.toISOString(),
    },
    ServiceAccount: {
      role: (s: ServiceAccountRow) => roleToEnum(s.role),
      subject: (s: ServiceAccountRow) => serviceAccountSubject(s.id),
      createdAt: (s: ServiceAccountRow) => s.createdAt.toISOString(),
    },
    ApiKey: {
      role: (k: ApiKeyRow) => roleToEnum(k.role),
      status: (k: ApiKeyRow) => (k.revokedAt ? 'REVOKED' : k.expiresAt.getTime() <= Date.now() ? 'EXPIRED' : 'ACTIVE'),
      expiresAt: (k: ApiKeyRow) => k.expiresAt.toISOString(),
      revokedAt: (k: ApiKeyRow) => iso(k.revokedAt),
      lastUsedAt: (k: ApiKeyRow) => iso(k.lastUsedAt),
      createdAt: (k: ApiKeyRow) => k.createdAt.toISOString(),
    },
  };
}
