export { auditSubgraph, auditEntities } from './server';
export { alertingVariables, defaultAlertingConfig, toAlertingConfig, type AlertingConfig } from './domain/alerting-config';
