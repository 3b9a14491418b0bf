import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant plane: the periodic access reviews.
 *
 * - `access_reviews`: one row per reviewed period (`period` is unique, so a period is written once
 *   however many replicas or retries try), pointing at the encrypted report in the tenant's bucket
 *   with the SHA-256 of its plaintext and the counts it holds. Pages are newest period first:
 *   `(period_start, id)`.
 * - `stale_access_findings`: the privileged principals a review found unused for too long, each
 *   with the alert it raised or the still-open alert of an earlier review it joined (`alert_id`,
 *   NULL when the tenant turned the STALE_ACCESS rule off). `principal_key` (`member:<id>`,
 *   `service_account:<id>`, `api_key:<id>`) is what the next review looks up to not raise a second
 *   alert while the first is unacknowledged.
 *
 * Both are history: append-only for the service account.
 */
export class AccessReviews1765000000002 implements MigrationInterface {
  name = 'AccessReviews1765000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE access_reviews (
        id CHAR(36) NOT NULL PRIMARY KEY,
        period VARCHAR(32) NOT NULL,
        period_start DATETIME(3) NOT NULL,
        period_end DATETIME(3) NOT NULL,
        object_key VARCHAR(255) NOT NULL,
        sha256 CHAR(64) NOT NULL,
        stored_bytes BIGINT NOT NULL,
        member_count INT NOT NULL,
        service_account_count INT NOT NULL,
        api_key_count INT NOT NULL,
        stale_count INT NOT NULL,
        alerts_raised INT NOT NULL,
        trigger_kind VARCHAR(16) NOT NULL,
        created_by VARCHAR(255) NOT NULL,
        created_at DATETIME(3) NOT NULL,
        UNIQUE KEY uq_access_reviews_period (period),
        KEY ix_access_reviews_page (period_start, id)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE stale_access_findings (
        review_id CHAR(36) NOT NULL,
        principal_key VARCHAR(64) NOT NULL,
        principal_type VARCHAR(16) NOT NULL,
        principal_id VARCHAR(64) NOT NULL,
        subject VARCHAR(255) NULL,
        label VARCHAR(320) NOT NULL,
        role VARCHAR(32) NOT NULL,
        granted_at DATETIME(3) NOT NULL,
        last_used_at DATETIME(3) NULL,
        idle_days INT NOT NULL,
        alert_id CHAR(36) NULL,
        alert_raised TINYINT(1) NOT NULL,
        PRIMARY KEY (review_id, principal_key),
        KEY ix_stale_access_principal (principal_key, alert_id)
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['stale_access_findings', 'access_reviews']) await q.query(`DROP TABLE ${table}`);
  }
}
