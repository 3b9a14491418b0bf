import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * E-mail invitations expire: `expires_at` is when an invitation not yet bound to a sign-in stops
 * being accepted (re-sending sets a new one). Members invited by subject, and invitations already
 * bound, are members: their `expires_at` is NULL and means nothing. Invitations pending when this
 * runs get the default week from now, so none is cut short by the upgrade itself.
 */
export class InvitationExpiry1766200000008 implements MigrationInterface {
  name = 'InvitationExpiry1766200000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE tenant_members ADD COLUMN expires_at DATETIME(3) NULL AFTER invited_by');
    await q.query(
      `UPDATE tenant_members m LEFT JOIN member_bindings b ON b.member_id = m.id
          SET m.expires_at = DATE_ADD(UTC_TIMESTAMP(3), INTERVAL 168 HOUR)
        WHERE m.subject IS NULL AND b.member_id IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE tenant_members DROP COLUMN expires_at');
  }
}
