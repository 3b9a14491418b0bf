import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Control plane: platform security log, audit checkpoints, alert defaults — issue #6. */
export class SecurityLog1764000000003 implements MigrationInterface {
  name = 'SecurityLog1764000000003';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
