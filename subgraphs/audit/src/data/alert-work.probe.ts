import type { TenantRowQuestion } from '@tessera/tenancy';

/**
 * What makes a tenant worth an alerting pass, asked of many tenants per statement: events waiting
 * in its outbox (the pass chains them first), chained events past its evaluation watermark, or a
 * webhook delivery due by `now`. A tenant with none of these would be evaluated for nothing.
 */
export function alertWorkQuestions(now: Date): TenantRowQuestion[] {
  return [
    { from: (schema) => `${schema}.audit_outbox` },
    // No watermark row yet: nothing was evaluated, every chained event is new.
    { from: (schema) => `${schema}.audit_events WHERE seq > COALESCE((SELECT last_seq FROM ${schema}.alert_evaluation_state WHERE id = 1), 0)` },
    { from: (schema) => `${schema}.webhook_deliveries WHERE status = 'PENDING' AND next_attempt_at <= ?`, params: [now] },
  ];
}
