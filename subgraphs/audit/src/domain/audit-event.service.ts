import { assertPermission } from '@tessera/auth';
import { pageOf, type Connection, type PageArgs } from '@tessera/service-kit';
import type { TenantScope } from '@tessera/tenancy';
import { AuditEventEntity, type AuditEvent } from '../data/audit-event.entity';

/** A tenant's own audit trail; only its admins read it. */
export class AuditEventService {
  constructor(private readonly scope: TenantScope) {}

  async list(args: PageArgs): Promise<Connection<AuditEvent>> {
    assertPermission(this.scope.principal, 'administer');
    return this.scope.db((manager) => pageOf(manager.getRepository(AuditEventEntity).createQueryBuilder('e'), 'e', args));
  }
}
