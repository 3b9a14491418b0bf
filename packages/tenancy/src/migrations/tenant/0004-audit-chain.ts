import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The columns an audit event has, in the outbox and in the chain (the chain adds seq and hash). */
const eventColumns = `
        id CHAR(36) NOT NULL,
        occurred_at DATETIME(3) NOT NULL,
        actor_subject VARCHAR(255) NOT NULL,
        actor_roles VARCHAR(255) NOT NULL,
        actor_client VARCHAR(255) NULL,
        action VARCHAR(64) NOT NULL,
        target_type VARCHAR(64) NOT NULL,
        target_id VARCHAR(255) NULL,
        outcome VARCHAR(16) NOT NULL,
        request_id VARCHAR(64) NULL,
        trace_id VARCHAR(32) NULL,
        source_ip VARCHAR(64) NULL,
        details_json JSON NOT NULL`;

const copiedColumns =
  'id, occurred_at, actor_subject, actor_roles, actor_client, action, target_type, target_id, outcome, request_id, trace_id, source_ip, details_json';

/**
 * Tenant plane: tamper-evident audit trail — issue #6.
 *
 * - `audit_outbox`: where services write (same transaction as the change). Ordinary table: the
 *   relay deletes what it has chained.
 * - `audit_events` becomes the hash chain: `seq` is assigned by the relay (1, 2, 3… no gaps), and
 *   `hash` = SHA-256(prev_hash ‖ canonical event), `prev_hash` the hash of seq - 1 (64 zeros for
 *   seq 1), stored so one row or an exported slice is self-describing. Append-only for the service account.
 * - `audit_checkpoints`: signed chain heads. Append-only for the service account.
 *
 * Rows written before this migration are re-queued into the outbox (oldest first) so the relay
 * chains them like any other event: the chain has no unhashed prefix.
 */
export class AuditChain1764000000004 implements MigrationInterface {
  name = 'AuditChain1764000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_outbox (
        outbox_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,${eventColumns},
        UNIQUE KEY uq_audit_outbox_id (id)
      ) ENGINE=InnoDB`);
    await q.query(`INSERT INTO audit_outbox (${copiedColumns}) SELECT ${copiedColumns} FROM audit_events ORDER BY seq`);
    await q.query('DELETE FROM audit_events');
    // seq is no longer AUTO_INCREMENT: the relay assigns it under the chain lock, so it is gapless.
    await q.query(`ALTER TABLE audit_events MODIFY seq BIGINT NOT NULL, ADD COLUMN prev_hash CHAR(64) NOT NULL AFTER details_json, ADD COLUMN hash CHAR(64) NOT NULL AFTER prev_hash`);
    await q.query(`
      CREATE TABLE audit_checkpoints (
        seq BIGINT NOT NULL PRIMARY KEY,
        head_hash CHAR(64) NOT NULL,
        signed_at DATETIME(3) NOT NULL,
        key_id VARCHAR(64) NOT NULL,
        jws TEXT NOT NULL,
        object_key VARCHAR(255) NOT NULL
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_checkpoints');
    await q.query('ALTER TABLE audit_events DROP COLUMN hash, DROP COLUMN prev_hash, MODIFY seq BIGINT NOT NULL AUTO_INCREMENT');
    await q.query(`INSERT INTO audit_events (${copiedColumns}) SELECT ${copiedColumns} FROM audit_outbox ORDER BY outbox_id`);
    await q.query('DROP TABLE audit_outbox');
  }
}
