import type { DataSource } from 'typeorm';
import { eventWriter } from '@tessera/audit-client';
import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { PageArgs, SubgraphContext } from '@tessera/service-kit';
import type { AuditEvent } from '../data/audit-event.entity';
import type { AuditEventFilterInput } from '../domain/audit-event-filter';
import type { AuditRelay } from '../domain/audit-event-relay';
import { AuditEventService } from '../domain/audit-event.service';
import { AuditExportService } from '../domain/audit-export.service';

export function auditEventResolvers(deps: { relay: AuditRelay; db: DataSource; controlSchema: string }): GraphQLResolverMap<SubgraphContext> {
  return {
    Query: {
      auditEvents: async (_: unknown, args: PageArgs & { filter?: AuditEventFilterInput | null }, ctx: SubgraphContext) =>
        new AuditEventService(await ctx.scope(), deps.relay).list(args.filter, args),
    },
    Mutation: {
      exportAuditEvents: async (_: unknown, args: { from: string; to: string }, ctx: SubgraphContext) => new AuditExportService(await ctx.scope(), deps.relay, { db: deps.db, controlSchema: deps.controlSchema }).export(args.from, args.to),
    },
    AuditEvent: {
      sequence: (event: AuditEvent) => event.seq,
      occurredAt: (event: AuditEvent) => event.createdAt.toISOString(),
      actorRoles: (event: AuditEvent) => event.actorRoles.split(',').filter(Boolean),
      recordedBy: (event: AuditEvent) => eventWriter(event.writtenBy),
      // Sealed details that did not open fail this field only (CONFLICT, SEALED_VALUE_REJECTED), not the page.
      details: (event: AuditEvent) => {
        if (event.detailsError !== undefined) throw event.detailsError;
        return JSON.stringify(event.details);
      },
    },
  };
}
