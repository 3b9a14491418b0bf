import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { PageArgs, SubgraphContext } from '@tessera/service-kit';
import type { AuditEvent } from '../data/audit-event.entity';
import { AuditEventService } from '../domain/audit-event.service';

export const auditResolvers: GraphQLResolverMap<SubgraphContext> = {
  Query: {
    auditEvents: async (_: unknown, args: PageArgs, ctx: SubgraphContext) => new AuditEventService(await ctx.scope()).list(args),
  },
  AuditEvent: {
    sequence: (event: AuditEvent) => event.seq,
    occurredAt: (event: AuditEvent) => event.createdAt.toISOString(),
    actorRoles: (event: AuditEvent) => event.actorRoles.split(',').filter(Boolean),
    details: (event: AuditEvent) => JSON.stringify(event.details),
  },
};
