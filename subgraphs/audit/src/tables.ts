import { requestServingServices, type ServiceData } from '@tessera/tenancy';
import { writableOutboxColumns } from '@tessera/audit-client';
import { auditMigrations } from './migrations';

/**
 * The audit service's tables. Every service writes into the outboxes (INSERT only, on every column
 * but the writer's: its published write-in port); only the audit relay moves them into the hash
 * chains, which are append-only even for the audit service itself.
 */
export const auditData: ServiceData = {
  service: 'audit',
  owns: [
    {
      table: 'audit_outbox',
      plane: 'tenant',
      access: 'read-write',
      // INSERT on every column but `written_by`, which the server sets to the writing account: an
      // event says which service wrote it, whatever else it claims (migrations/writer-column.ts).
      publishedTo: [{ to: requestServingServices, privileges: [], insertColumns: writableOutboxColumns, why: 'every request-serving service records its tenant audit events here' }],
    },
    { table: 'audit_events', plane: 'tenant', access: 'append-only' },
    // The events' sealed details: re-sealed after a key rotation, so not append-only. Any change to
    // what they say breaks the chain, which hashes the plaintext (see audit-client chain-details.ts).
    { table: 'audit_event_details', plane: 'tenant', access: 'read-write' },
    { table: 'audit_checkpoints', plane: 'tenant', access: 'append-only' },
    { table: 'alert_rules', plane: 'tenant', access: 'read-write' },
    { table: 'alerts', plane: 'tenant', access: 'read-write' },
    { table: 'alert_webhooks', plane: 'tenant', access: 'read-write' },
    { table: 'alert_evaluation_state', plane: 'tenant', access: 'read-write' },
    { table: 'webhook_deliveries', plane: 'tenant', access: 'read-write' },
    // A written review and what it found are history: never changed, never removed by the service.
    { table: 'access_reviews', plane: 'tenant', access: 'append-only' },
    { table: 'stale_access_findings', plane: 'tenant', access: 'append-only' },
    // Each tenant's own review interval: in the control plane so the scheduler reads all of them at once.
    { table: 'access_review_schedules', plane: 'control', access: 'read-write' },
    {
      table: 'security_outbox',
      plane: 'control',
      access: 'read-write',
      // Not the workers: they answer no request and record no security event.
      publishedTo: [
        {
          to: ['gateway', 'datasets', 'models', 'jobs', 'metrics', 'tenants'],
          privileges: [],
          insertColumns: [...writableOutboxColumns, 'tenant_id'],
          why: 'every request-serving service records platform security events here',
        },
      ],
    },
    { table: 'security_events', plane: 'control', access: 'append-only' },
    { table: 'security_checkpoints', plane: 'control', access: 'append-only' },
    // Erasure's pseudonymisation of the security log: signed records (history), and the trace every
    // rewrite leaves, written only by the rewrite routine (the account reads it, never writes it).
    { table: 'security_log_rewrites', plane: 'control', access: 'append-only' },
    { table: 'security_event_rewrites', plane: 'control', access: 'read-only' },
    {
      table: 'resource_owners',
      plane: 'control',
      access: 'read-write',
      publishedTo: [
        // INSERT … ON DUPLICATE KEY UPDATE: registering an id twice is a no-op, which needs UPDATE.
        // Not the workers: what a job creates is registered by its owner through the job ports.
        { to: ['datasets', 'models', 'jobs'], privileges: ['SELECT', 'INSERT', 'UPDATE'], why: 'register the owner tenant of each resource id they create' },
        { to: ['metrics'], privileges: ['SELECT'], why: 'tell a cross-tenant attempt from a missing id' },
      ],
    },
  ],
  borrows: [],
  // The one way to change a chained security-log row (see 0002-security-log-rewrites).
  routines: [{ name: 'rewrite_security_event', plane: 'control', kind: 'PROCEDURE' }],
  migrations: auditMigrations,
};
