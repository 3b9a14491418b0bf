import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant plane: metering and budgets (`@tessera/metering`).
 * - `usage_meters`: what the tenant consumed per hour and meter (cost units, inference and job
 *   worker milliseconds, stored byte-hours, downloaded bytes). Every process aggregates in memory
 *   and upserts by adding, so a row is the sum over every replica and flush.
 * - `usage_budgets`: the tenant admin's monthly limit per meter and the share of it (soft percent)
 *   that raises an alert; reaching the limit itself refuses new work.
 * - `usage_budget_alerts`: one row per budget, month and kind of crossing: the primary key is what
 *   makes a soft-threshold alert fire once per budget per month, whichever process notices first.
 * - `usage_samples`: when a sampled meter (stored byte-hours) was last integrated; locked by each
 *   sample, so replicas of the sampler never add the same interval twice.
 */
export class UsageMeters1764000000009 implements MigrationInterface {
  name = 'UsageMeters1764000000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE usage_meters (
        hour DATETIME NOT NULL,
        meter VARCHAR(32) NOT NULL,
        amount DOUBLE NOT NULL DEFAULT 0,
        PRIMARY KEY (hour, meter),
        KEY ix_usage_meters_meter (meter, hour)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE usage_budgets (
        meter VARCHAR(32) NOT NULL PRIMARY KEY,
        monthly_limit DOUBLE NOT NULL,
        soft_percent INT NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        updated_by VARCHAR(255) NOT NULL
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE usage_budget_alerts (
        meter VARCHAR(32) NOT NULL,
        month DATE NOT NULL,
        kind VARCHAR(8) NOT NULL,
        used DOUBLE NOT NULL,
        raised_at DATETIME(3) NOT NULL,
        PRIMARY KEY (meter, month, kind)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE usage_samples (
        meter VARCHAR(32) NOT NULL PRIMARY KEY,
        sampled_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['usage_samples', 'usage_budget_alerts', 'usage_budgets', 'usage_meters']) await q.query(`DROP TABLE ${table}`);
  }
}
