import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant plane: alerting over the audit trail (issue #6) and the indexes the audit query filters
 * use. Rules hold only the tenant's overrides of the platform defaults (defaults live in code, so
 * a new default reaches every tenant without a data migration).
 */
export class AuditAlerting1764000000005 implements MigrationInterface {
  name = 'AuditAlerting1764000000005';

  async up(q: QueryRunner): Promise<void> {
    // Keyset pages by seq under each filter: a filtered page at 1M events reads ~first rows, not the table.
    await q.query('ALTER TABLE audit_events ADD KEY ix_audit_q_actor (actor_subject, seq), ADD KEY ix_audit_q_target (target_type, target_id, seq), ADD KEY ix_audit_q_outcome (outcome, seq), ADD KEY ix_audit_q_action (action, seq)');
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
    // One webhook per tenant; the signing secret is stored encrypted with the tenant's data key.
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
        last_status INT NULL,
        last_error VARCHAR(255) NULL,
        delivered_at DATETIME(3) NULL,
        created_at DATETIME(3) NOT NULL,
        KEY ix_webhook_deliveries_due (status, next_attempt_at),
        KEY ix_webhook_deliveries_alert (alert_id)
      ) ENGINE=InnoDB`);
    // The evaluator's watermark: events up to last_seq have been counted against the rules.
    await q.query(`
      CREATE TABLE alert_evaluation_state (
        id TINYINT NOT NULL PRIMARY KEY,
        last_seq BIGINT NOT NULL,
        updated_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['alert_evaluation_state', 'webhook_deliveries', 'alert_webhooks', 'alerts', 'alert_rules']) await q.query(`DROP TABLE ${table}`);
    await q.query('ALTER TABLE audit_events DROP KEY ix_audit_q_actor, DROP KEY ix_audit_q_target, DROP KEY ix_audit_q_outcome, DROP KEY ix_audit_q_action');
  }
}
