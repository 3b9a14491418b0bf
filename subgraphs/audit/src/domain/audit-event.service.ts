import { assertPermission } from '@tessera/auth';
import { pageSize, type Connection, type PageArgs } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import type { AuditEvent } from '../data/audit-event.entity';
import { findAuditEventPage } from '../data/audit-event.repository';
import { decodeAuditCursor, encodeAuditCursor } from './audit-event-cursor';
import { parseAuditEventFilter, type AuditEventFilterInput } from './audit-event-filter';
import type { AuditRelay } from './audit-event-relay';
import { scopeAuditDetails } from './audit-details';

/** A tenant's own audit trail, oldest first by time then sequence; only its admins and auditors read it. */
export class AuditEventService {
  constructor(
    private readonly scope: TenantScope,
    private readonly relay: AuditRelay,
  ) {}

  async list(filterInput: AuditEventFilterInput | null | undefined, args: PageArgs): Promise<Connection<AuditEvent>> {
    assertPermission(this.scope.principal, 'audit');
    // Everything is validated before any query runs: a bad argument changes and reads nothing.
    const filter = parseAuditEventFilter(filterInput);
    const limit = pageSize(args);
    const after = decodeAuditCursor(args.after);
    await this.relay(this.scope);
    const rows = await this.scope.db((manager) => findAuditEventPage(manager, scopeAuditDetails(this.scope), filter, after, limit));
    const page = rows.slice(0, limit);
    const edges = page.map((node) => ({ node, cursor: encodeAuditCursor({ occurredAt: node.createdAt, seq: node.seq }) }));
    return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
  }
}
