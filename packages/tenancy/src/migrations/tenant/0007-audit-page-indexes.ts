import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant plane: indexes for the audit trail's page order (issue #6, "1M events still answers a
 * filtered page quickly"). Pages are ordered by `(occurred_at, seq)`; 0005's `(column, seq)` keys
 * cannot serve a filter with a time bound late in the chain (MySQL walked the primary key from the
 * start: 1.4 s at 1M rows). Each filter gets `(filter columns…, occurred_at, seq)` so the filter,
 * the time range and the order are one index range read. Action and time alone are already served
 * by 0001's `(action, occurred_at)` and `(occurred_at)`: InnoDB secondary keys end with the primary
 * key (`seq`), and MariaDB/MySQL use that suffix for ordering (extended keys). The `(column, seq)`
 * keys are dropped: nothing orders a filtered read by seq alone any more, and each costs every append.
 */
export class AuditPageIndexes1764000000007 implements MigrationInterface {
  name = 'AuditPageIndexes1764000000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE audit_events
         ADD KEY ix_audit_page_actor (actor_subject, occurred_at, seq),
         ADD KEY ix_audit_page_target (target_type, target_id, occurred_at, seq),
         ADD KEY ix_audit_page_outcome (outcome, occurred_at, seq),
         DROP KEY ix_audit_q_actor, DROP KEY ix_audit_q_target, DROP KEY ix_audit_q_outcome, DROP KEY ix_audit_q_action`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE audit_events
         ADD KEY ix_audit_q_actor (actor_subject, seq), ADD KEY ix_audit_q_target (target_type, target_id, seq),
         ADD KEY ix_audit_q_outcome (outcome, seq), ADD KEY ix_audit_q_action (action, seq),
         DROP KEY ix_audit_page_actor, DROP KEY ix_audit_page_target, DROP KEY ix_audit_page_outcome`,
    );
  }
}
