import type { QueryRunner } from 'typeorm';
import { SingleSequenceBaseline } from '@tessera/tenancy';
import { eventColumns } from '../event-columns';

/**
 * Tenant plane: the tamper-evident audit trail and alerting over it.
 *
 * - `audit_outbox`: where services write (same transaction as the change; a write-in port). An
 *   ordinary table: the relay deletes what it has chained.
 * - `audit_events`: the hash chain. `seq` is assigned by the relay under the chain lock (1, 2, 3…
 *   no gaps, so not AUTO_INCREMENT), and `hash` = SHA-256(prev_hash ‖ canonical event), `prev_hash`
 *   the hash of seq - 1 (64 zeros for seq 1), stored so one row or an exported slice is
 *   self-describing. Append-only for the service account.
 *   Pages are ordered by `(occurred_at, seq)`: each filter has `(filter columns…, occurred_at, seq)`
 *   so the filter, the time range and the order are one index range read (a filtered page at 1M
 *   events reads a page, not the table). Action and time alone are served by `(action,
 *   occurred_at)` and `(occurred_at)`: InnoDB secondary keys end with the primary key (`seq`), and
 *   MariaDB/MySQL use that suffix for ordering (extended keys).
 * - `audit_checkpoints`: signed chain heads. Append-only for the service account.
 * - `alert_rules` hold only the tenant's overrides of the platform defaults (defaults live in code,
 *   so a new default reaches every tenant without a data migration); `alerts` what fired;
 *   `alert_webhooks` the tenant's one webhook, its signing secret encrypted with the tenant's data
 *   key; `webhook_deliveries` each delivery and the platform's outcome of its last attempt
 *   (`last_outcome`: DELIVERED, REFUSED_ADDRESS, CONNECTION_FAILED, TIMEOUT, REDIRECT_NOT_FOLLOWED,
 *   HTTP_ERROR, WEBHOOK_REMOVED), never the receiver's status code or the connection's error text,
 *   which would let a tenant read what answered at an address of its choosing (`last_status` and
 *   `last_error` stay, always NULL, for replicas of older code during a rolling upgrade);
 *   `alert_evaluation_state` the evaluator's watermark (events up to `last_seq` are counted).
 */
export class AuditTables1765000000001 extends SingleSequenceBaseline {
  name = 'AuditTables1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_events (
        seq BIGINT NOT NULL PRIMARY KEY,${eventColumns({ tenantId: false })},
        prev_hash CHAR(64) NOT NULL,
        hash CHAR(64) NOT NULL,
        UNIQUE KEY uq_audit_events_id (id),
        KEY ix_audit_events_time (occurred_at),
        KEY ix_audit_events_action (action, occurred_at),
        KEY ix_audit_page_actor (actor_subject, occurred_at, seq),
        KEY ix_audit_page_target (target_type, target_id, occurred_at, seq),
        KEY ix_audit_page_outcome (outcome, occurred_at, seq)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE audit_outbox (
        outbox_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,${eventColumns({ tenantId: false })},
        UNIQUE KEY uq_audit_outbox_id (id)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE audit_checkpoints (
        seq BIGINT NOT NULL PRIMARY KEY,
        head_hash CHAR(64) NOT NULL,
        signed_at DATETIME(3) NOT NULL,
        key_id VARCHAR(64) NOT NULL,
        jws TEXT NOT NULL,
        object_key VARCHAR(255) NOT NULL
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE alert_rules (
        kind VARCHAR(32) NOT NULL PRIMARY KEY,
        threshold INT NOT NULL,
        enabled TINYINT(1) NOT NULL,
        updated_by VARCHAR(255) NOT NULL,
        updated_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE alerts (
        id CHAR(36) NOT NULL PRIMARY KEY,
        rule_kind VARCHAR(32) NOT NULL,
        status VARCHAR(16) NOT NULL,
        threshold INT NOT NULL,
        observed INT NOT NULL,
        window_start DATETIME(3) NOT NULL,
        window_end DATETIME(3) NOT NULL,
        first_seq BIGINT NOT NULL,
        last_seq BIGINT NOT NULL,
        summary VARCHAR(500) NOT NULL,
        dedup_key VARCHAR(64) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        acknowledged_at DATETIME(3) NULL,
        acknowledged_by VARCHAR(255) NULL,
        UNIQUE KEY uq_alerts_dedup (dedup_key),
        KEY ix_alerts_rule (rule_kind, window_end),
        KEY ix_alerts_status (status, created_at)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE alert_webhooks (
        id TINYINT NOT NULL PRIMARY KEY,
        url VARCHAR(2048) NOT NULL,
        secret_ciphertext TEXT NOT NULL,
        key_version INT NOT NULL,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id CHAR(36) NOT NULL PRIMARY KEY,
        alert_id CHAR(36) NOT NULL,
        url VARCHAR(2048) NOT NULL,
        body_json MEDIUMTEXT NOT NULL,
        status VARCHAR(16) NOT NULL,
        attempts INT NOT NULL,
        next_attempt_at DATETIME(3) NOT NULL,
        last_outcome VARCHAR(32) NULL,
        last_status INT NULL,
        last_error VARCHAR(255) NULL,
        delivered_at DATETIME(3) NULL,
        created_at DATETIME(3) NOT NULL,
        KEY ix_webhook_deliveries_due (status, next_attempt_at),
        KEY ix_webhook_deliveries_alert (alert_id)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE alert_evaluation_state (
        id TINYINT NOT NULL PRIMARY KEY,
        last_seq BIGINT NOT NULL,
        updated_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['alert_evaluation_state', 'webhook_deliveries', 'alert_webhooks', 'alerts', 'alert_rules', 'audit_checkpoints', 'audit_outbox', 'audit_events']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
