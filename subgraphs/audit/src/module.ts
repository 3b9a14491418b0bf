import type { EntitySchema } from 'typeorm';
import type { AuditChainConfig } from '@tessera/config';
import type { SubgraphModule } from '@tessera/service-kit';
import type { AlertingConfig } from './domain/alerting-config';
import { auditEntities, auditSubgraph } from './server';
import { auditData } from './tables';
import { auditPortClient, auditPortMethods, type AuditPort } from './ports';
import { createAuditPort } from './ports/audit-port.impl';
import { createErasureAuthority } from './domain/erasure-authority';

export interface AuditModuleOptions {
  /** Hash-chain relay and checkpoint signing (AUDIT_* variables). */
  auditChain?: AuditChainConfig;
  /** Alerting, incl. the webhook allow-list; defaults when omitted. */
  alerting?: AlertingConfig;
}

export const auditModule = {
  name: 'audit',
  entities: auditEntities as EntitySchema[],
  data: auditData,
  // Checkpoint copies in the tenant's bucket, webhook secrets under its data key; signs checkpoints; webhook policy.
  environment: ['storage', 'auditChain', 'alerting'],
  ports: { publishes: { methods: auditPortMethods, client: auditPortClient, local: (runtime, options) => createAuditPort(runtime.scopes, createErasureAuthority({ db: runtime.db, controlSchema: runtime.config.database.controlSchema, tenants: runtime.tenants }, options.auditChain)) }, calls: [] },
  build: (runtime, options) => auditSubgraph(runtime, options.alerting, options.auditChain),
} satisfies SubgraphModule<AuditModuleOptions, 'audit', AuditPort>;
