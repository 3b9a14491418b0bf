import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Control plane: how an erasure pseudonymises the security log's earlier entries about the erased
 * tenant without giving up tamper evidence.
 *
 * The chain stays append-only for the audit account (no UPDATE, no DELETE). The one way to change a
 * chained row is `rewrite_security_event`, a definer routine the account may EXECUTE: it changes
 * only the identifying columns and the two hashes, only of a row whose current hash the caller
 * names, and writes the old and new hash into `security_event_rewrites` (which the account can
 * read but not write). Every rewrite therefore leaves a row it cannot remove, and verification
 * refuses any such row that no signed record in `security_log_rewrites` covers: a stolen database
 * password alone can rewrite, but not unnoticed.
 *
 * `security_log_rewrites`: one row per erasure that rewrote entries, holding a JWS by the audit key
 * over the rewritten range and, for every signed checkpoint in it, the head hash before and after
 * (older checkpoints then still verify: their head is followed through the signed transitions).
 */
export class SecurityLogRewrites1766100000001 implements MigrationInterface {
  name = 'SecurityLogRewrites1766100000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE security_log_rewrites (
        id CHAR(36) NOT NULL PRIMARY KEY,
        erasure_request_id CHAR(36) NOT NULL,
        tenant_pseudonym CHAR(64) NOT NULL,
        from_seq BIGINT NOT NULL,
        to_seq BIGINT NOT NULL,
        events INT NOT NULL,
        signed_at DATETIME(3) NOT NULL,
        key_id VARCHAR(64) NOT NULL,
        jws MEDIUMTEXT NOT NULL,
        UNIQUE KEY uq_security_log_rewrites_request (erasure_request_id)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE security_event_rewrites (
        rewrite_id CHAR(36) NOT NULL,
        seq BIGINT NOT NULL,
        old_hash CHAR(64) NOT NULL,
        new_hash CHAR(64) NOT NULL,
        rewritten_at DATETIME(3) NOT NULL,
        PRIMARY KEY (rewrite_id, seq),
        KEY ix_security_event_rewrites_seq (seq)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE DEFINER = CURRENT_USER PROCEDURE rewrite_security_event(
        IN p_rewrite_id CHAR(36), IN p_seq BIGINT, IN p_old_hash CHAR(64),
        IN p_tenant_id VARCHAR(32), IN p_actor_subject VARCHAR(255), IN p_actor_client VARCHAR(255),
        IN p_target_id VARCHAR(255), IN p_source_ip VARCHAR(64), IN p_details_json LONGTEXT,
        IN p_prev_hash CHAR(64), IN p_hash CHAR(64))
      SQL SECURITY DEFINER MODIFIES SQL DATA
      BEGIN
        UPDATE security_events
           SET tenant_id = p_tenant_id, actor_subject = p_actor_subject, actor_client = p_actor_client,
               target_id = p_target_id, source_ip = p_source_ip, details_json = p_details_json,
               prev_hash = p_prev_hash, hash = p_hash
         WHERE seq = p_seq AND hash = p_old_hash;
        IF ROW_COUNT() <> 1 THEN
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'rewrite_security_event: the event is not at the hash named';
        END IF;
        INSERT INTO security_event_rewrites (rewrite_id, seq, old_hash, new_hash, rewritten_at) VALUES (p_rewrite_id, p_seq, p_old_hash, p_hash, NOW(3));
      END`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP PROCEDURE IF EXISTS rewrite_security_event');
    await q.query('DROP TABLE security_event_rewrites');
    await q.query('DROP TABLE security_log_rewrites');
  }
}
