export { auditSubgraph, auditEntities } from './server';
export { alertingVariables, defaultAlertingConfig, toAlertingConfig, type AlertingConfig } from './domain/alerting-config';
export { auditModule, type AuditModuleOptions } from './module';
export { auditData } from './tables';
