import { randomUUID } from 'node:crypto';
import { actionOwner, eventWriter, recordSecurityEvent, writtenByItsOwner } from '@tessera/audit-client';
import type { Principal } from '@tessera/auth';
import type { EntityManager } from 'typeorm';
import type { TenantScope } from '@tessera/tenancy';
import { scopeAuditDetails } from './audit-details';
import { eventsAfter, eventsBetween, insertAlert, lastFiringOf, listRuleOverrides, lockWatermark, saveWatermark, type Alert } from '../data/alert.repository';
import { findWebhook, insertDelivery } from '../data/webhook.repository';
import { webhookBody } from './alert-payload';
import { alertWindowMs, effectiveRules, evaluateRule, ruleDefinitions, type EvaluatedEvent, type Firing } from './alert-rules';
import type { AuditRelay } from './audit-event-relay';

/** Events read per transaction; a backlog is worked through batch by batch. */
const batchSize = 5_000;
/** Bounds the look-back read (one minute of events before the batch). */
const maxHistory = 100_000;

/**
 * Periodic evaluator over the chain: it reads the tenant's `audit_events` after its watermark, so
 * it sees exactly what the tamper-evident log holds (events that only ever reached an outbox do
 * not raise alerts until relayed, and a relayed event is counted once). The watermark row is
 * locked for the batch's transaction, so two replicas never count the same events; alerts and
 * their webhook deliveries are written in that same transaction, so a crash never loses or
 * doubles one. Returns the alerts it created, for the caller to publish after commit.
 *
 * An event written in another service's name (see MISATTRIBUTED_EVENT) is also recorded in the
 * platform security log, whatever the tenant's rules say (a tenant may turn its alert off; the
 * platform's operators still learn that a service's account wrote it), before the watermark
 * moves past it: written at least once.
 */
export async function evaluateTenantAlerts(scope: TenantScope, relay: AuditRelay, background = false): Promise<Alert[]> {
  await relay(scope, { background });
  const created: Alert[] = [];
  const details = scopeAuditDetails(scope);
  for (;;) {
    const batch = await scope.transaction(async (manager) => {
      const watermark = await lockWatermark(manager);
      const fresh = await eventsAfter(manager, details, watermark, batchSize);
      if (fresh.length === 0) return { done: true, alerts: [] as Alert[] };
      const history = await eventsBetween(manager, details, new Date(fresh[0]!.occurredAt.getTime() - alertWindowMs), watermark, maxHistory);
      await recordMisattributed(manager, scope.tenant.id, fresh);
      const rules = effectiveRules(await listRuleOverrides(manager));
      const webhook = await findWebhook(manager);
      const alerts: Alert[] = [];
      for (const rule of rules) {
        for (const firing of evaluateRule(rule, history, fresh, await lastFiringOf(manager, rule.kind))) {
          const alert = toAlert(firing);
          if (!(await insertAlert(manager, scope.tenant.id, alert, `${firing.kind}:${firing.lastSeq}`))) continue;
          alerts.push(alert);
          if (webhook) {
            const deliveryId = randomUUID();
            await insertDelivery(manager, {
              id: deliveryId,
              alertId: alert.id,
              url: webhook.url,
              body: webhookBody(scope.tenant.id, alert, deliveryId),
              status: 'PENDING',
              attempts: 0,
              nextAttemptAt: alert.createdAt,
              lastOutcome: null,
              deliveredAt: null,
              createdAt: alert.createdAt,
            });
          }
        }
      }
      await saveWatermark(manager, fresh.at(-1)!.seq);
      return { done: fresh.length < batchSize, alerts };
    });
    created.push(...batch.alerts);
    if (batch.done) return created;
  }
}

/** The security-log action for an event written in another service's name. */
export const misattributedEventAction = 'audit.misattributed_event';

async function recordMisattributed(manager: EntityManager, tenantId: string, events: readonly EvaluatedEvent[]): Promise<void> {
  for (const event of events) {
    const writer = eventWriter(event.writtenBy);
    if (writtenByItsOwner(event.action, writer)) continue;
    // The action as written, bounded: a forged one may be anything up to the column's 64 characters.
    await recordSecurityEvent(manager, alertingActor(tenantId), {
      tenantId,
      action: misattributedEventAction,
      targetType: 'AuditEvent',
      targetId: String(event.seq),
      outcome: 'FAILED',
      details: { sequence: event.seq, action: event.action.slice(0, 64), writer: (writer ?? '').slice(0, 160), owner: actionOwner(event.action) },
    });
  }
}

/** The alerting evaluator as the actor of what it records itself (never a caller's principal). */
function alertingActor(tenantId: string): Principal {
  return { kind: 'user', subject: 'system:alerting', tenantId, roles: [], clientId: undefined, requestId: randomUUID(), sourceIp: undefined };
}

function toAlert(firing: Firing): Alert {
  const seconds = Math.max(1, Math.round((firing.windowEnd.getTime() - firing.windowStart.getTime()) / 1000));
  return {
    id: randomUUID(),
    rule: firing.kind,
    status: 'OPEN',
    threshold: firing.threshold,
    observed: firing.observed,
    windowStart: firing.windowStart,
    windowEnd: firing.windowEnd,
    firstSeq: firing.firstSeq,
    lastSeq: firing.lastSeq,
    summary: `${firing.kind}: ${firing.observed} within ${seconds}s (threshold ${firing.threshold}). ${firing.detail ?? ruleDefinitions[firing.kind].description}`.slice(0, 500),
    createdAt: new Date(),
    acknowledgedAt: null,
    acknowledgedBy: null,
  };
}
