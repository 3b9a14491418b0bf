import { assertPermission } from '@tessera/auth';
import type { TenantScope } from '@tessera/tenancy';
import { errors } from '@tessera/errors';
import { serviceAccountSubject, type AccessDirectory } from '@tessera/tenants/ports';
import { findAccessByResource, findLastActivity, findLatestPrincipals, findRoleSets, findUserActivity, type ResourceAccessRow } from '../data/access-report.repository';
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
  members: MemberReview[];
  serviceAccounts: ServiceAccountReview[];
}

/** What one holder of access did: in the period (count, resources) and last ever (up to `to`). */
interface HolderActivity {
  subject: string | null;
  role: string;
  eventCount: number;
  accessed: AccessReport['resourceAccess'];
  lastActivityAt: Date | null;
  neverActive: boolean;
}

export interface MemberReview extends HolderActivity {
  memberId: string;
  email: string | null;
}

export interface ServiceAccountReview extends HolderActivity {
  serviceAccountId: string;
  name: string;
  activeKeys: number;
}

/** Targets whose reads and writes the periodic access review lists (seed §7). */
export const reviewedTargetTypes = ['Dataset', 'DatasetVersion', 'DatasetUpload', 'Model', 'ModelVersion', 'AuditExport'];

/**
 * The periodic access review. Who holds access is read from the tenants service's tables: every
 * member and service account with its role, including those that never used it (`neverActive`).
 * What each did comes from the audit trail (events in the period, resources accessed, last
 * audited action up to `to`; a service account's last key use too). `roleHolders` keeps the view
 * from the trail alone: the roles each principal presented on its most recent request, which is
 * what an identity provider's roles (ROLE_SOURCE=claims) look like from here.
 */
export class AccessReportService {
  constructor(
    private readonly scope: TenantScope,
    private readonly relay: AuditRelay,
    private readonly access: AccessDirectory,
  ) {}

  async build(fromValue: string, toValue: string): Promise<AccessReport> {
    assertPermission(this.scope.principal, 'audit');
    const { from, to } = parsePeriod(fromValue, toValue);
    if (!from || !to) throw errors.badInput('from and to are required.', { field: from ? 'to' : 'from' });
    return composeAccessReport(this.scope, { relay: this.relay, access: this.access }, from, to);
  }
}

/**
 * The report for [from, to], for a caller that has already asserted the principal may have it:
 * `accessReport` (a tenant admin) and the scheduled access review (which writes it into the
 * tenant's bucket, acting as the system). `generatedAt` is the caller's clock.
 */
export async function composeAccessReport(
  scope: TenantScope,
  deps: { relay: AuditRelay; access: AccessDirectory },
  from: Date,
  to: Date,
  generatedAt = new Date(),
): Promise<AccessReport> {
  await deps.relay(scope);
  // Everyone who holds access now, from the tenants service's tables (published to this service for the review).
  const holders = await deps.access.tenantAccess(scope.tenant.id);
  const holderSubjects = [
    ...holders.members.flatMap((m) => (m.subject ? [m.subject] : [])),
    ...holders.serviceAccounts.map((s) => serviceAccountSubject(s.id)),
  ];
  const [principals, roleSets, access, users, lastActivity] = await scope.db(async (manager) => [
    await findLatestPrincipals(manager, to),
    await findRoleSets(manager, to),
    await findAccessByResource(manager, from, to, reviewedTargetTypes),
    await findUserActivity(manager, from, to),
    await findLastActivity(manager, to, holderSubjects),
  ] as const);
  const resourceAccess = groupAccess(access);
  const activityOf = (subject: string | null, role: string | undefined, alsoUsedAt: Date | null = null): HolderActivity => {
    const inPeriod = subject ? users.find((u) => u.subject === subject) : undefined;
    const audited = subject ? lastActivity.get(subject) : undefined;
    const last = [audited, alsoUsedAt && alsoUsedAt <= to ? alsoUsedAt : undefined].filter((d): d is Date => d instanceof Date).sort((a, b) => b.getTime() - a.getTime())[0] ?? null;
    return {
      subject,
      role: role ?? 'unknown',
      eventCount: inPeriod?.eventCount ?? 0,
      accessed: subject ? resourceAccess.filter((r) => r.subject === subject) : [],
      lastActivityAt: last,
      neverActive: last === null,
    };
  };
  return {
    from,
    to,
    generatedAt,
    roleSource:
      'members and serviceAccounts: who holds access now (Tessera membership and service accounts), used or not. roleHolders: the roles each principal presented on its most recent audited request up to `to`.',
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
    resourceAccess,
    users,
    members: holders.members.map((m) => ({ memberId: m.id, email: m.email, ...activityOf(m.subject, m.role) })),
    serviceAccounts: holders.serviceAccounts.map((s) => ({
      serviceAccountId: s.id,
      name: s.name,
      activeKeys: s.activeKeys,
      ...activityOf(serviceAccountSubject(s.id), s.role, s.lastUsedAt),
    })),
  };
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
