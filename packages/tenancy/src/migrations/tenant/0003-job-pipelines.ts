import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenant plane: job pipelines (job state machine, progress, lineage) — issue #5. */
export class JobPipelines1764000000003 implements MigrationInterface {
  name = 'JobPipelines1764000000003';

  async up(_q: QueryRunner): Promise<void> {}

  async down(_q: QueryRunner): Promise<void> {}
}
