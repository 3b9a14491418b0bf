export { auditSubgraph, auditEntities } from './server';
export { alertingVariables, defaultAlertingConfig, toAlertingConfig, type AlertingConfig } from './domain/alerting-config';
export { auditModule, type AuditModuleOptions } from './module';
export { auditData } from './tables';
/** For composition roots that run a caller in this process; other services import `@tessera/audit/ports`. */
export { createAuditPort } from './ports/audit-port.impl';
