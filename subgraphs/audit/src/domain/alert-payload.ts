import type { Alert } from '../data/alert.repository';

/** The JSON shape of an alert outside GraphQL (webhook body, event bus): times as ISO strings. */
export interface AlertPayload {
  id: string;
  rule: string;
  status: string;
  threshold: number;
  observed: number;
  windowStart: string;
  windowEnd: string;
  firstSequence: number;
  lastSequence: number;
  summary: string;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export function toAlertPayload(alert: Alert): AlertPayload {
  return {
    id: alert.id,
    rule: alert.rule,
    status: alert.status,
    threshold: alert.threshold,
    observed: alert.observed,
    windowStart: alert.windowStart.toISOString(),
    windowEnd: alert.windowEnd.toISOString(),
    firstSequence: alert.firstSeq,
    lastSequence: alert.lastSeq,
    summary: alert.summary,
    createdAt: alert.createdAt.toISOString(),
    acknowledgedAt: alert.acknowledgedAt?.toISOString() ?? null,
    acknowledgedBy: alert.acknowledgedBy,
  };
}

/** The webhook body: the alert plus which tenant and event type, so one receiver can serve several. */
export function webhookBody(tenantId: string, alert: Alert, deliveryId: string): string {
  return JSON.stringify({ type: 'alert.fired', deliveryId, tenantId, alert: toAlertPayload(alert) });
}
