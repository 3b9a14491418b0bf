import type { GraphQLResolverMap } from '@tessera/service-kit';
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

export function accessResolvers(deps: AccessAdminDeps): GraphQLResolverMap<SubgraphContext> {
  // Every change is also named in this request's answer, for the gateway that carried it.
  const forRequest = (ctx: SubgraphContext): AccessAdminDeps => ({ ...deps, changes: namedInAnswer(deps.changes, ctx.responseHeaders) });
  const members = (ctx: SubgraphContext) => new MembersService(ctx.user(), forRequest(ctx));
  const accounts = (ctx: SubgraphContext) => new ServiceAccountsService(ctx.user(), forRequest(ctx));
  return {
    Query: {
      me: (_: unknown, _args: unknown, ctx: SubgraphContext) => currentPrincipal(ctx.user()),
      members: (_: unknown, args: TenantArg, ctx: SubgraphContext) => members(ctx).list(args.tenantId),
      serviceAccounts: (_: unknown, args: TenantArg, ctx: SubgraphContext) => accounts(ctx).list(args.tenantId),
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
