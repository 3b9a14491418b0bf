import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How far each models process's prediction log is in this tenant's inference_stats and audit
 * trail (the outbox marks): moved in the same transaction as the rows, so a log replayed after a
 * crash adds only the lines that were not written yet.
 */
export class PredictionLogMarks1765200000004 implements MigrationInterface {
  name = 'PredictionLogMarks1765200000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE prediction_log_marks (
        log_id CHAR(36) NOT NULL PRIMARY KEY,
        stats_seq BIGINT NOT NULL,
        audit_seq BIGINT NOT NULL,
        updated_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE prediction_log_marks');
  }
}
