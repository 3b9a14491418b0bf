import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant plane: quotas (`@tessera/quotas`).
 * - `quota_usage`: one row per quota, what is in use (`used`) and promised to writers still at work
 *   (`reserved`). Every change locks these rows first (SELECT … FOR UPDATE), so writers in any
 *   number of processes take their turn and can never jointly go over a limit.
 * - `quota_reservations`: the promises behind `reserved`, one row per reservation and quota, each
 *   with an expiry: a writer that dies between reserving and committing gives its share back when
 *   the next writer of that quota sweeps the expired rows.
 * Usage starts from what the tenant already holds, so existing tenants are counted from their rows:
 * stored sizes of dataset and model versions, of received uploads not yet completed, and of the
 * checkpoint copies in the bucket (the object is the JWS text). Audit exports written before this
 * migration have no row to count them from.
 */
export class QuotaUsage1764000000008 implements MigrationInterface {
  name = 'QuotaUsage1764000000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE quota_usage (
        quota VARCHAR(32) NOT NULL PRIMARY KEY,
        used BIGINT NOT NULL DEFAULT 0,
        reserved BIGINT NOT NULL DEFAULT 0,
        updated_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE quota_reservations (
        id CHAR(36) NOT NULL,
        quota VARCHAR(32) NOT NULL,
        amount BIGINT NOT NULL,
        created_at DATETIME(3) NOT NULL,
        expires_at DATETIME(3) NOT NULL,
        PRIMARY KEY (id, quota),
        KEY ix_quota_reservations_expiry (quota, expires_at)
      ) ENGINE=InnoDB`);
    await q.query(`
      INSERT INTO quota_usage (quota, used, reserved, updated_at)
      SELECT 'storageBytes',
             (SELECT COALESCE(SUM(stored_size), 0) FROM dataset_versions)
           + (SELECT COALESCE(SUM(stored_size), 0) FROM model_versions)
           + (SELECT COALESCE(SUM(stored_size), 0) FROM dataset_uploads WHERE status = 'UPLOADED')
           + (SELECT COALESCE(SUM(stored_size), 0) FROM model_uploads WHERE status = 'UPLOADED')
           + (SELECT COALESCE(SUM(LENGTH(jws)), 0) FROM audit_checkpoints WHERE object_key IS NOT NULL),
             0, NOW(3)
      UNION ALL SELECT 'datasets', (SELECT COUNT(*) FROM datasets), 0, NOW(3)
      UNION ALL SELECT 'datasetVersions', (SELECT COUNT(*) FROM dataset_versions), 0, NOW(3)
      UNION ALL SELECT 'models', (SELECT COUNT(*) FROM models), 0, NOW(3)
      UNION ALL SELECT 'modelVersions', (SELECT COUNT(*) FROM model_versions), 0, NOW(3)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE quota_reservations');
    await q.query('DROP TABLE quota_usage');
  }
}
