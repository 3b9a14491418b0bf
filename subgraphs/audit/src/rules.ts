import { allow, can, isPlatformAdmin, type RuleTree } from '@tessera/auth';

/** The audit trail and its alerting belong to tenant admins; nobody else reads or changes them. */
export const auditRules: RuleTree = {
  Query: { auditEvents: can.administer, accessReport: can.administer, alerts: can.administer, alertRules: can.administer, alertWebhook: can.administer, verifyAuditChain: can.administer, auditCheckpoints: can.administer, auditSigningKeys: can.administer, verifySecurityLog: isPlatformAdmin },
  Mutation: {
    exportAuditEvents: can.administer,
    acknowledgeAlert: can.administer,
    setAlertWebhook: can.administer,
    removeAlertWebhook: can.administer,
    setAlertRule: can.administer,
    createAuditCheckpoint: can.administer,
  },
  Subscription: { alerts: can.administer },
  AuditEvent: allow,
  AuditEventConnection: allow,
  AuditEventEdge: allow,
  PageInfo: allow,
  AccessReport: allow,
  RoleHolder: allow,
  RoleSet: allow,
  ResourceAccess: allow,
  UserActivity: allow,
  AuditExport: allow,
  Alert: allow,
  WebhookDelivery: allow,
  AlertRule: allow,
  AlertWebhook: allow,
  AlertWebhookSecret: allow,
  AuditChainVerification: allow,
  AuditCheckpoint: allow,
  AuditSigningKey: allow,
};
