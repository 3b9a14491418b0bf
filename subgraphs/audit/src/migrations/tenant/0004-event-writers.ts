import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addWriterColumn, dropWriterColumn } from '../writer-column';

/** Tenant plane: each audit event records the database account that wrote it (see writer-column.ts). */
export class AuditEventWriters1767100000001 implements MigrationInterface {
  name = 'AuditEventWriters1767100000001';

  async up(q: QueryRunner): Promise<void> {
    await addWriterColumn(q, 'audit_outbox', 'audit_events');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropWriterColumn(q, 'audit_outbox', 'audit_events');
  }
}
