import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenant plane: model registry (model versions, aliases, inference stats) — issue #4. */
export class ModelRegistry1764000000002 implements MigrationInterface {
  name = 'ModelRegistry1764000000002';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
