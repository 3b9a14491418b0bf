import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tenant's own access-review interval, set by its admins. Control plane, one row per tenant
 * that chose one, so the scheduler reads every tenant's choice in one statement instead of one
 * per tenant schema. `interval_days` NULL: the deployment's interval (the row then only keeps
 * `effective_from`). `effective_from` is when the current choice began: the schedule owes
 * periods from then on, so a new interval never back-fills a year of periods nobody asked for.
 * Goes with its tenant (ON DELETE CASCADE).
 */
export class AccessReviewSchedules1766200000003 implements MigrationInterface {
  name = 'AccessReviewSchedules1766200000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE access_review_schedules (
        tenant_id VARCHAR(32) NOT NULL PRIMARY KEY,
        interval_days INT NULL,
        effective_from DATETIME(3) NOT NULL,
        updated_by VARCHAR(255) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        CONSTRAINT fk_access_review_schedules_tenant FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE access_review_schedules');
  }
}
