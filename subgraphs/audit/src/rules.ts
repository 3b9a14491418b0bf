import { allow, can, type RuleTree } from '@tessera/auth';

export const auditRules: RuleTree = {
  Query: { auditEvents: can.administer },
  AuditEvent: allow,
  AuditEventConnection: allow,
  AuditEventEdge: allow,
  PageInfo: allow,
};
