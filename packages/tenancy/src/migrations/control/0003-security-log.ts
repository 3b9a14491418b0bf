import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An event of the platform security log: an audit event plus the tenant it concerns (if any). */
const eventColumns = `
        id CHAR(36) NOT NULL,
        occurred_at DATETIME(3) NOT NULL,
        tenant_id VARCHAR(32) NULL,
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

/**
 * Control plane: the platform security log (cross-tenant attempts, authentication failures that
 * name no tenant, platform-admin actions) — issue #6. Same design as a tenant's audit trail:
 * `security_outbox` written in the caller's transaction, relayed into the hash chain
 * `security_events` (append-only for the service account), heads signed into
 * `security_checkpoints` (append-only). No foreign key to `tenants`: erasing a tenant must not
 * erase (or be blocked by) the platform's record of what it did.
 */
export class SecurityLog1764000000003 implements MigrationInterface {
  name = 'SecurityLog1764000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE security_outbox (
        outbox_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,${eventColumns},
        UNIQUE KEY uq_security_outbox_id (id)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE security_events (
        seq BIGINT NOT NULL PRIMARY KEY,${eventColumns},
        prev_hash CHAR(64) NOT NULL,
        hash CHAR(64) NOT NULL,
        UNIQUE KEY uq_security_events_id (id),
        KEY ix_security_events_tenant (tenant_id, seq),
        KEY ix_security_events_action (action, seq),
        KEY ix_security_events_time (occurred_at)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE security_checkpoints (
        seq BIGINT NOT NULL PRIMARY KEY,
        head_hash CHAR(64) NOT NULL,
        signed_at DATETIME(3) NOT NULL,
        key_id VARCHAR(64) NOT NULL,
        jws TEXT NOT NULL
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['security_checkpoints', 'security_events', 'security_outbox']) await q.query(`DROP TABLE ${table}`);
  }
}
