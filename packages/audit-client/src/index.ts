export { recordAuditEvent, type AuditEventInput, type AuditOutcome } from './audit-event';
