import { administersInPerson, allow, can, isPlatformAdmin, type RuleTree } from '@tessera/auth';

/**
 * The audit trail and its alerting belong to the tenant: its admins read and change them, its
 * auditors only read them (and export them: an export is a copy of what they may read, written
 * into the tenant's own bucket). Signing a checkpoint, acknowledging an alert, running a review or
 * changing a rule, a webhook or the review schedule are changes: admins only, and the settings that
 * watch over the tenant (rules, webhook, review schedule) not by an API key.
 */
export const auditRules: RuleTree = {
  Query: {
    auditEvents: can.audit,
    accessReport: can.audit,
    alerts: can.audit,
    alertRules: can.audit,
    alertWebhook: can.audit,
    verifyAuditChain: can.audit,
    auditCheckpoints: can.audit,
    auditSigningKeys: can.audit,
    verifySecurityLog: isPlatformAdmin,
    verifyErasureReceipt: isPlatformAdmin,
    accessReviews: can.audit,
    accessReview: can.audit,
    accessReviewSchedule: can.audit,
  },
  Mutation: {
    exportAuditEvents: can.audit,
    acknowledgeAlert: can.administer,
    setAlertWebhook: administersInPerson,
    removeAlertWebhook: administersInPerson,
    setAlertRule: administersInPerson,
    createAuditCheckpoint: can.administer,
    runAccessReview: can.administer,
    setAccessReviewSchedule: administersInPerson,
  },
  Subscription: { alerts: can.audit },
  AuditEvent: allow,
  AuditEventConnection: allow,
  AuditEventEdge: allow,
  PageInfo: allow,
  AccessReport: allow,
  RoleHolder: allow,
  RoleSet: allow,
  ResourceAccess: allow,
  UserActivity: allow,
  MemberAccessReview: allow,
  ServiceAccountAccessReview: allow,
  AuditExport: allow,
  Alert: allow,
  WebhookDelivery: allow,
  AlertRule: allow,
  AlertWebhook: allow,
  AlertWebhookSecret: allow,
  AuditChainVerification: allow,
  AuditCheckpoint: allow,
  AuditSigningKey: allow,
  ErasureReceiptVerification: allow,
  AccessReviewConnection: allow,
  AccessReviewEdge: allow,
  AccessReview: allow,
  StaleAccessFinding: allow,
  AccessReviewSchedule: allow,
};
