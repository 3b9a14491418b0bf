import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addWriterColumn, dropWriterColumn } from '../writer-column';

/** Control plane: each security-log event records the database account that wrote it (see writer-column.ts). */
export class SecurityEventWriters1767100000002 implements MigrationInterface {
  name = 'SecurityEventWriters1767100000002';

  async up(q: QueryRunner): Promise<void> {
    await addWriterColumn(q, 'security_outbox', 'security_events');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropWriterColumn(q, 'security_outbox', 'security_events');
  }
}
