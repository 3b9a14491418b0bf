import type { TenantRowQuestion } from '@tessera/tenancy';

/**
 * What makes a tenant's chain worth a periodic checkpoint, asked of many tenants per statement:
 * events waiting in its outbox (the checkpoint chains them first), or a chain head no checkpoint
 * signs yet. A chain that did not move since its last checkpoint would only be re-read.
 */
export const checkpointWorkQuestions: readonly TenantRowQuestion[] = [
  { from: (schema) => `${schema}.audit_outbox` },
  {
    from: (schema) =>
      `${schema}.audit_events e WHERE e.seq = (SELECT MAX(seq) FROM ${schema}.audit_events) AND NOT EXISTS (SELECT 1 FROM ${schema}.audit_checkpoints c WHERE c.seq = e.seq)`,
  },
];
