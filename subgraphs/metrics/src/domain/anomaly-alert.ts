import type { EventBus } from '@tessera/events';
import type { Anomaly } from '../data/anomaly.repository';

/**
 * An anomaly as an alert on the tenant's `alerts` topic, in the audit service's alert payload
 * shape (so `subscription { alerts }` subscribers and anything else on the topic read it like any
 * alert), plus the anomaly's own numbers. The rule is `ANOMALY`; `threshold` / `observed` carry the
 * z-score threshold and the score (integers, as that shape has them); `firstSequence` /
 * `lastSequence` are 0 because no audit events are involved. The alert id is the anomaly id, so
 * `anomalies` finds what an alert refers to.
 */
export interface AnomalyAlertPayload {
  id: string;
  rule: 'ANOMALY';
  status: 'OPEN';
  threshold: number;
  observed: number;
  windowStart: string;
  windowEnd: string;
  firstSequence: number;
  lastSequence: number;
  summary: string;
  createdAt: string;
  acknowledgedAt: null;
  acknowledgedBy: null;
  anomaly: { metric: string; observed: number; expected: number; deviation: number; score: number; threshold: number };
}

export function toAnomalyAlertPayload(anomaly: Anomaly): AnomalyAlertPayload {
  return {
    id: anomaly.id,
    rule: 'ANOMALY',
    status: 'OPEN',
    threshold: Math.ceil(anomaly.threshold),
    observed: Math.floor(anomaly.score),
    windowStart: anomaly.windowStart.toISOString(),
    windowEnd: anomaly.windowEnd.toISOString(),
    firstSequence: 0,
    lastSequence: 0,
    summary: anomaly.summary,
    createdAt: anomaly.detectedAt.toISOString(),
    acknowledgedAt: null,
    acknowledgedBy: null,
    anomaly: { metric: anomaly.metric, observed: anomaly.observed, expected: anomaly.expected, deviation: anomaly.deviation, score: anomaly.score, threshold: anomaly.threshold },
  };
}

/**
 * Raises the alert of an anomaly for its tenant. The one place alerting is reached from the
 * detector: when the audit service exports a way to raise an alert (stored, webhooked), switch here.
 */
export async function raiseAnomalyAlert(bus: EventBus, tenantId: string, anomaly: Anomaly): Promise<void> {
  await bus.publish(tenantId, 'alerts', toAnomalyAlertPayload(anomaly));
}
