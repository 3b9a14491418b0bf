import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key operations on one dataset's or one model's own key (a rotation and the re-encryption of that
 * family's objects) name the family they work on; a tenant-wide re-encryption names none.
 */
export class KeyOperationTargets1765100000007 implements MigrationInterface {
  name = 'KeyOperationTargets1765100000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE key_operations ADD COLUMN target_id CHAR(36) NULL AFTER kind, ADD INDEX idx_key_operations_target (tenant_id, kind, target_id, status)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE key_operations DROP INDEX idx_key_operations_target, DROP COLUMN target_id');
  }
}
