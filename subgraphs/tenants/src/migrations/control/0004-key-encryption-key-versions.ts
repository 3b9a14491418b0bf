import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data keys wrapped by the key provider: which key-encryption key version wraps each one
 * (`kek_version`, read from the `vault:v<N>:` prefix; NULL for a row still wrapped by the retired
 * master key), so "how many keys still depend on version N" is one indexed count, and the rewrap
 * runs that move them to the latest version (batched, resumable, their progress kept here).
 */
export class KeyEncryptionKeyVersions1765000000004 implements MigrationInterface {
  name = 'KeyEncryptionKeyVersions1765000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE tenant_keys ADD COLUMN kek_version INT NULL AFTER wrapped_key, ADD INDEX idx_tenant_keys_kek_version (kek_version)');
    await q.query(`UPDATE tenant_keys SET kek_version = CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(wrapped_key, ':', 2), ':v', -1) AS UNSIGNED) WHERE wrapped_key LIKE 'vault:v%'`);
    await q.query(`
      CREATE TABLE kek_rewraps (
        id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        key_name VARCHAR(128) NOT NULL,
        target_version INT NOT NULL,
        status VARCHAR(16) NOT NULL,
        rewrapped INT NOT NULL DEFAULT 0,
        failed INT NOT NULL DEFAULT 0,
        last_error VARCHAR(512) NULL,
        requested_by VARCHAR(255) NOT NULL,
        started_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        finished_at DATETIME(3) NULL,
        INDEX idx_kek_rewraps_status (status)
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE kek_rewraps');
    await q.query('ALTER TABLE tenant_keys DROP INDEX idx_tenant_keys_kek_version, DROP COLUMN kek_version');
  }
}
