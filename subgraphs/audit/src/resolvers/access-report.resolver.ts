import type { GraphQLResolverMap, TenantTurns } from '@tessera/service-kit';
import type { SubgraphContext } from '@tessera/service-kit';
import { AccessReportService } from '../domain/access-report.service';
import type { AuditRelay } from '../domain/audit-event-relay';
import type { AccessDirectory } from '@tessera/tenants/ports';

const iso = (field: string) => (parent: Record<string, unknown>) => (parent[field] as Date).toISOString();
const isoOrNull = (field: string) => (parent: Record<string, unknown>) => (parent[field] as Date | null)?.toISOString() ?? null;

export function accessReportResolvers(deps: { relay: AuditRelay; access: AccessDirectory; heavyReads: TenantTurns }): GraphQLResolverMap<SubgraphContext> {
  return {
    Query: {
      accessReport: async (_: unknown, args: { from: string; to: string }, ctx: SubgraphContext) => {
        const scope = await ctx.scope();
        return deps.heavyReads.run(scope.tenant.id, () => new AccessReportService(scope, deps.relay, deps.access).build(args.from, args.to));
      },
    },
    AccessReport: { from: iso('from'), to: iso('to'), generatedAt: iso('generatedAt') },
    RoleHolder: { lastSeenAt: iso('lastSeenAt') },
    RoleSet: { firstSeenAt: iso('firstSeenAt'), lastSeenAt: iso('lastSeenAt') },
    ResourceAccess: { lastAccessAt: iso('lastAccessAt') },
    UserActivity: { lastActivityAt: iso('lastActivityAt') },
    MemberAccessReview: { lastActivityAt: isoOrNull('lastActivityAt') },
    ServiceAccountAccessReview: { lastActivityAt: isoOrNull('lastActivityAt') },
  };
}
