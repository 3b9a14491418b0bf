import { EntitySchema, type ValueTransformer } from 'typeorm';

const bigintAsNumber: ValueTransformer = { to: (value: number) => value, from: (value: string | number) => Number(value) };

export interface AuditEvent {
  seq: number;
  id: string;
  createdAt: Date;
  actorSubject: string;
  actorRoles: string;
  actorClient: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  outcome: 'SUCCESS' | 'DENIED' | 'FAILED';
  requestId: string | null;
  traceId: string | null;
  sourceIp: string | null;
  details: Record<string, unknown>;
  /** The database account that wrote it (null: written before writers were recorded). */
  writtenBy: string | null;
  /** Why the sealed details did not open (the `details` field then answers this error). */
  detailsError?: unknown;
}

/** Read side only: events are written by @tessera/audit-client inside each change's transaction. */
export const AuditEventEntity = new EntitySchema<AuditEvent>({
  name: 'AuditEvent',
  tableName: 'audit_events',
  columns: {
    seq: { type: 'bigint', primary: true, transformer: bigintAsNumber },
    id: { type: 'char', length: 36 },
    createdAt: { name: 'occurred_at', type: 'datetime', precision: 3 },
    actorSubject: { name: 'actor_subject', type: 'varchar', length: 255 },
    actorRoles: { name: 'actor_roles', type: 'varchar', length: 255 },
    actorClient: { name: 'actor_client', type: 'varchar', length: 255, nullable: true },
    action: { type: 'varchar', length: 64 },
    targetType: { name: 'target_type', type: 'varchar', length: 64 },
    targetId: { name: 'target_id', type: 'varchar', length: 255, nullable: true },
    outcome: { type: 'varchar', length: 16 },
    requestId: { name: 'request_id', type: 'varchar', length: 64, nullable: true },
    traceId: { name: 'trace_id', type: 'varchar', length: 32, nullable: true },
    sourceIp: { name: 'source_ip', type: 'varchar', length: 64, nullable: true },
    details: { name: 'details_json', type: 'json' },
    writtenBy: { name: 'written_by', type: 'varchar', length: 384, nullable: true },
  },
});

export const auditEntities = [AuditEventEntity];
