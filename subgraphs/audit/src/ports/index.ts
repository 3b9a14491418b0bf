/**
 * The audit service's published port: the only part of @tessera/audit other services import
 * (`@tessera/audit/ports`). Types and the HTTP client; the implementation stays here.
 */
import { createPortClient, type PortClientOptions } from '@tessera/service-kit';
import { auditPortMethods, type AuditPort } from './audit-port';

export * from './audit-port';

export function auditPortClient(options: Omit<PortClientOptions, 'port'>): AuditPort {
  return createPortClient<AuditPort>(auditPortMethods, { ...options, port: 'audit' });
}
