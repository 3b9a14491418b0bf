import type { ServiceMigrations } from '@tessera/tenancy';
import { SecurityLogTables1765000000001 } from './control/0001-security-log-tables';
import { SecurityLogRewrites1766100000001 } from './control/0002-security-log-rewrites';
import { AccessReviewSchedules1766200000003 } from './control/0003-access-review-schedules';
import { SecurityEventWriters1767100000002 } from './control/0004-security-event-writers';
import { AuditTables1765000000001 } from './tenant/0001-audit-tables';
import { AccessReviews1765000000002 } from './tenant/0002-access-reviews';
import { SealedEventDetails1766300000003 } from './tenant/0003-sealed-event-details';
import { AuditEventWriters1767100000001 } from './tenant/0004-event-writers';

/** The audit service's migrations: a tenant's audit trail, alerting and access reviews, and the platform security log. */
export const auditMigrations: ServiceMigrations = {
  tenant: [AuditTables1765000000001, AccessReviews1765000000002, SealedEventDetails1766300000003, AuditEventWriters1767100000001],
  control: [SecurityLogTables1765000000001, SecurityLogRewrites1766100000001, AccessReviewSchedules1766200000003, SecurityEventWriters1767100000002],
  // resource_owners.tenant_id references tenants.id.
  after: ['tenants'],
};
