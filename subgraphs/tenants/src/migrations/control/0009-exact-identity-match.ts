import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A member is found by the token's subject and an invitation by its e-mail address, compared with
 * `=`. Under the control schema's utf8mb4_unicode_ci those comparisons ignore case, accents,
 * trailing spaces and ignorable characters, so `ABC` was the member `abc` and `josé@x.org` could
 * accept the invitation of `jose@x.org`: other identities at the IdP. Subjects are case-sensitive
 * (OIDC), and addresses are stored in their one canonical spelling (lowercase, punycode domain), so
 * these columns compare byte for byte. The unique keys stay: a binary comparison is only stricter.
 */
export class ExactIdentityMatch1766300000009 implements MigrationInterface {
  name = 'ExactIdentityMatch1766300000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE tenant_members MODIFY subject VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, MODIFY email VARCHAR(320) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL');
    await q.query('ALTER TABLE member_bindings MODIFY subject VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE member_bindings MODIFY subject VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL');
    await q.query('ALTER TABLE tenant_members MODIFY subject VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL, MODIFY email VARCHAR(320) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NULL');
  }
}
