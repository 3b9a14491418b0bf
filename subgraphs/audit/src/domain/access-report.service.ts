import { assertPermission } from '@tessera/auth';
import type { TenantScope } from '@tessera/tenancy';
import { errors } from '@tessera/errors';
import { findAccessByResource, findLatestPrincipals, findRoleSets, findUserActivity, type ResourceAccessRow } from '../data/access-report.repository';
import { parsePeriod } from './audit-event-filter';
import type { AuditRelay } from './audit-event-relay';

export interface RoleSet {
  roles: string[];
  firstSeenAt: Date;
  lastSeenAt: Date;
}

export interface AccessReport {
  from: Date;
  to: Date;
  generatedAt: Date;
  roleSource: string;
  roleHolders: Array<{ subject: string; roles: string[]; client: string | null; lastSeenAt: Date; roleHistory: RoleSet[] }>;
  resourceAccess: Array<{ subject: string; targetType: string; targetId: string; actions: string[]; count: number; lastAccessAt: Date }>;
  users: Array<{ subject: string; eventCount: number; lastActivityAt: Date; lastAction: string }>;
}

/** Targets whose reads and writes the periodic access review lists (seed §7). */
export const reviewedTargetTypes = ['Dataset', 'DatasetVersion', 'DatasetUpload', 'Model', 'ModelVersion', 'AuditExport'];

/**
 * The periodic access review, computed from the audit trail itself. Tessera keeps no role-binding
 * table (roles come from the identity provider's tokens), so "who holds which role" is the roles
 * each principal presented on its most recent request up to `to`; a user who never called the API
 * is not listed. The report says so in `roleSource`.
 */
export class AccessReportService {
  constructor(
    private readonly scope: TenantScope,
    private readonly relay: AuditRelay,
  ) {}

  async build(fromValue: string, toValue: string): Promise<AccessReport> {
    assertPermission(this.scope.principal, 'administer');
    const { from, to } = parsePeriod(fromValue, toValue);
    if (!from || !to) throw errors.badInput('from and to are required.', { field: from ? 'to' : 'from' });
    await this.relay(this.scope);
    const [principals, roleSets, access, users] = await this.scope.db(async (manager) => [
      await findLatestPrincipals(manager, to),
      await findRoleSets(manager, to),
      await findAccessByResource(manager, from, to, reviewedTargetTypes),
      await findUserActivity(manager, from, to),
    ] as const);
    return {
      from,
      to,
      generatedAt: new Date(),
      roleSource: 'Roles as presented in access tokens (most recent request of each principal up to `to`); Tessera stores no role bindings.',
      roleHolders: principals.map((p) => ({
        subject: p.subject,
        roles: p.roles.split(',').filter(Boolean),
        client: p.client,
        lastSeenAt: p.lastSeenAt,
        // Role changes: each role set the principal presented, oldest first (more than one = a change).
        roleHistory: roleSets
          .filter((set) => set.subject === p.subject)
          .map((set) => ({ roles: set.roles.split(',').filter(Boolean), firstSeenAt: set.firstSeenAt, lastSeenAt: set.lastSeenAt })),
      })),
      resourceAccess: groupAccess(access),
      users,
    };
  }
}

function groupAccess(rows: ResourceAccessRow[]): AccessReport['resourceAccess'] {
  const grouped = new Map<string, AccessReport['resourceAccess'][number]>();
  for (const row of rows) {
    const key = JSON.stringify([row.subject, row.targetType, row.targetId]);
    const entry = grouped.get(key) ?? { subject: row.subject, targetType: row.targetType, targetId: row.targetId, actions: [], count: 0, lastAccessAt: row.lastAt };
    entry.actions.push(row.action);
    entry.count += row.count;
    if (row.lastAt > entry.lastAccessAt) entry.lastAccessAt = row.lastAt;
    grouped.set(key, entry);
  }
  return [...grouped.values()].map((entry) => ({ ...entry, actions: entry.actions.sort() }));
}
