import { join } from 'node:path';
import type { GraphQLResolverMap } from '@tessera/service-kit';
import type { AuditChainConfig } from '@tessera/config';
import { auditDetailsColumn, loadSchemaFile, SealedColumnBackfill, type ServiceRuntime, type SubgraphContext, type SubgraphDefinition } from '@tessera/service-kit';
import { AlertEngine } from './domain/alert-engine';
import { defaultAlertingConfig, type AlertingConfig } from './domain/alerting-config';
import { createAuditChainRuntime } from './domain/audit-chain-runtime';
import { createAuditRelay } from './domain/audit-event-relay';
import { ChainActivity } from './domain/chain-activity';
import { heavyReadTurns } from './domain/heavy-read-turns';
import { auditChainResolvers } from './resolvers/audit-chain.resolver';
import { accessReportResolvers } from './resolvers/access-report.resolver';
import { alertResolvers } from './resolvers/alert.resolver';
import { auditEventResolvers } from './resolvers/audit-event.resolver';
import { auditRules } from './rules';
import { createAuditPort, publishedAuditPort } from './ports/audit-port.impl';
import { createErasureAuthority } from './domain/erasure-authority';
import { createWebhookAddressPolicy } from './domain/webhook-address-policy';
import { resolveWithSystem } from './domain/webhook-lookup';
import { createWebhookTransport } from './domain/webhook-transport';
import { validateWebhookUrl } from './domain/webhook-url';
import { AccessDirectory } from '@tessera/tenants/ports';
import { AccessReviewScheduler } from './domain/access-review-scheduler';
import { AccessReviewWriter } from './domain/access-review-writer';
import { AccessReviewSchedules } from './data/access-review-schedule.repository';
import { accessReviewResolvers } from './resolvers/access-review.resolver';

export { auditEntities } from './data/audit-event.entity';

/** Resolver maps of several files, merged type by type. */
function mergeResolvers(...maps: Array<GraphQLResolverMap<SubgraphContext>>): GraphQLResolverMap<SubgraphContext> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) for (const [type, fields] of Object.entries(map)) merged[type] = { ...(merged[type] ?? {}), ...(fields as Record<string, unknown>) };
  return merged as GraphQLResolverMap<SubgraphContext>;
}

/**
 * The audit subgraph: the tenant's audit trail (query, access report, export) and alerting over
 * it. Alerting runs in this process: a periodic evaluator over the chains, stopped with the subgraph.
 */
export function auditSubgraph(runtime: ServiceRuntime, config: AlertingConfig = defaultAlertingConfig, chainConfig?: AuditChainConfig): SubgraphDefinition {
  // Chains grown in this process (relay, drains before reads) are what alerting evaluates next.
  const activity = new ChainActivity();
  // Tamper evidence: the outbox → hash-chain relay and checkpoint signing run in this process too.
  const chain = createAuditChainRuntime(runtime, chainConfig, activity);
  const relay = createAuditRelay(runtime.db, runtime.keyring, activity);
  // One address policy for saving and for sending webhooks, built once from the operator's allow-list.
  const webhookPolicy = createWebhookAddressPolicy(config.webhookAllowedPrivateRanges);
  const transport = createWebhookTransport(webhookPolicy);
  const engine = new AlertEngine({
    db: runtime.db,
    scopes: runtime.scopes,
    tenants: runtime.tenants,
    activity,
    bus: runtime.events,
    logger: runtime.logger.child({ service: 'audit' }),
    config,
    // Alerting evaluates what its own drain chains at once: nothing to report.
    relay: createAuditRelay(runtime.db, runtime.keyring),
    transport,
  });
  // Verifications and access reports: a few at a time per tenant, so none can fill the pool or the event loop.
  const heavyReads = heavyReadTurns(config.heavyReads ?? defaultAlertingConfig.heavyReads, runtime.config.database.poolSize);
  const validateUrl = (value: string, owner: string) => validateWebhookUrl(value, webhookPolicy, resolveWithSystem, owner);
  const access = new AccessDirectory(runtime.db, runtime.config.database.controlSchema);
  // Access reviews: written on schedule (and on demand) into each tenant's bucket; stale privileged access raises alerts through the engine.
  const reviewWriter = new AccessReviewWriter({
    db: runtime.db,
    relay,
    access,
    staleAccessDays: config.accessReview.staleAccessDays,
    announce: (scope, alerts) => engine.announce(scope, alerts),
    logger: runtime.logger.child({ service: 'audit', component: 'access-review' }),
    clock: () => new Date(),
  });
  // Details chained before sealing (moved to audit_event_details as clear by the migration) are sealed once the service runs.
  const detailsBackfill = new SealedColumnBackfill({ scopes: runtime.scopes, tenants: runtime.tenants, logger: runtime.logger.child({ service: 'audit' }), specs: [auditDetailsColumn] });
  const reviewSchedules = new AccessReviewSchedules(runtime.db, runtime.config.database.controlSchema);
  const reviewScheduler = new AccessReviewScheduler({
    db: runtime.db,
    tenants: runtime.tenants,
    scopes: runtime.scopes,
    writer: reviewWriter,
    schedules: reviewSchedules,
    config: config.accessReview,
    logger: runtime.logger.child({ service: 'audit', component: 'access-review' }),
  });
  return {
    name: 'audit',
    typeDefs: loadSchemaFile(join(__dirname, 'schema.graphql')),
    resolvers: mergeResolvers(auditEventResolvers({ relay, db: runtime.db, controlSchema: runtime.config.database.controlSchema }), accessReportResolvers({ relay, access, heavyReads }),
      accessReviewResolvers({ writer: reviewWriter, schedules: reviewSchedules, config: config.accessReview }), alertResolvers({ engine, bus: runtime.events, validateWebhookUrl: validateUrl }), auditChainResolvers(chain.deps, heavyReads)),
    rules: auditRules,
    // The audit port (counts for the metrics service, erasure's signatures for the tenants service) to other processes.
    ports: [publishedAuditPort(createAuditPort(runtime.scopes, createErasureAuthority({ db: runtime.db, controlSchema: runtime.config.database.controlSchema, tenants: runtime.tenants }, chainConfig)))],
    start: async () => {
      await chain.start();
      engine.start();
      reviewScheduler.start();
      detailsBackfill.start();
    },
    close: async () => {
      await detailsBackfill.stop();
      await reviewScheduler.stop();
      await engine.stop();
      transport.close();
      await chain.close();
    },
  };
}
