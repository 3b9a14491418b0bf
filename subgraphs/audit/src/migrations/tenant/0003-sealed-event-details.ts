import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Moves the details of events chained with clear details into the side table (key_version 0, for
 * the backfill to seal) and leaves `{}` in the chain row. Idempotent. JSON_LENGTH, not a text
 * comparison: MySQL 8 keeps JSON binary, MariaDB as text.
 */
export async function moveClearDetailsToSideTable(q: Pick<QueryRunner, 'query'>): Promise<void> {
  await q.query('INSERT IGNORE INTO audit_event_details (seq, details, key_version) SELECT seq, details_json, 0 FROM audit_events WHERE JSON_LENGTH(details_json) > 0');
  await q.query("UPDATE audit_events SET details_json = '{}' WHERE JSON_LENGTH(details_json) > 0");
}

/**
 * Tenant plane: audit event details, sealed with the tenant's data key.
 *
 * `audit_event_details (seq, details, key_version)` holds the details of each chained event whose
 * details are not empty: an envelope `tsc1.<version>.…` (key_version N ≥ 1), or, for events chained
 * before sealing, their clear JSON text (key_version 0) until the audit service's backfill seals
 * it. The chain row keeps `{}`. Why a side table: `audit_events` is append-only for the audit
 * service, and a sealed value must be re-sealed when the tenant's key rotates (and a legacy one
 * sealed after the fact). The chain hashes the plaintext details, so the move below changes no hash:
 * the verifier reads a row's details from here. This migration runs as the migrator (the only
 * account that may still change `audit_events`) and moves existing details here in one statement
 * pair per tenant schema.
 */
export class SealedEventDetails1766300000003 implements MigrationInterface {
  name = 'SealedEventDetails1766300000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_event_details (
        seq BIGINT NOT NULL PRIMARY KEY,
        details MEDIUMTEXT NOT NULL,
        key_version INT NOT NULL,
        KEY ix_audit_event_details_key_version (key_version)
      ) ENGINE=InnoDB`);
    await moveClearDetailsToSideTable(q);
  }

  async down(q: QueryRunner): Promise<void> {
    // Only clear (key_version 0) details can go back; sealed ones need keys the migrator does not hold.
    await q.query('UPDATE audit_events e JOIN audit_event_details d ON d.seq = e.seq AND d.key_version = 0 SET e.details_json = d.details');
    await q.query('DROP TABLE audit_event_details');
  }
}
