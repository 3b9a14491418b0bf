import type { QueryRunner } from 'typeorm';
import { SingleSequenceBaseline } from '@tessera/tenancy';

/**
 * Tenant plane: monitoring, the usage ledger and quotas.
 *
 * Monitoring:
 * - `request_metrics`: what the gateway measured per time bucket (one minute by default), operation
 *   type and name. Gateways aggregate in memory and upsert by adding, so a row is a sum over every
 *   replica and every flush, never a row per request. Latency is kept as a fixed-bucket histogram
 *   (non-cumulative counts) so percentiles can be estimated for any range by adding rows.
 * - `request_metric_errors`: per bucket and operation, how many requests failed with each error code.
 * - `anomaly_detector_state`: the online model of each monitored series (EWMA mean and variance)
 *   and how far it has read; locked by the evaluation's transaction so replicas never double-count.
 * - `anomalies`: what the detector flagged; one row per series and bucket (unique), so a re-run of
 *   the same bucket cannot flag it twice.
 *
 * Quotas (`@tessera/quotas`):
 * - `quota_usage`: one row per quota, what is in use (`used`) and promised to writers still at work
 *   (`reserved`). Every change locks these rows first (SELECT … FOR UPDATE), so writers in any
 *   number of processes take their turn and can never jointly go over a limit. A new tenant starts
 *   from the template's zeroed rows.
 * - `quota_reservations`: the promises behind `reserved`, one row per reservation and quota, each
 *   with an expiry: a writer that dies between reserving and committing gives its share back when
 *   the next writer of that quota sweeps the expired rows.
 *
 * Metering and budgets (`@tessera/metering`):
 * - `usage_meters`: what the tenant consumed per hour and meter. Every process aggregates in memory
 *   and upserts by adding, so a row is the sum over every replica and flush.
 * - `usage_budgets`: the tenant admin's monthly limit per meter and the share of it (soft percent)
 *   that raises an alert; reaching the limit itself refuses new work.
 * - `usage_budget_alerts`: one row per budget, month and kind of crossing: the primary key is what
 *   makes a soft-threshold alert fire once per budget per month, whichever process notices first.
 * - `usage_samples`: when a sampled meter (stored byte-hours) was last integrated; locked by each
 *   sample, so replicas of the sampler never add the same interval twice.
 */
export class MetricsTables1765000000001 extends SingleSequenceBaseline {
  name = 'MetricsTables1765000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE request_metrics (
        bucket_start DATETIME(3) NOT NULL,
        op_type VARCHAR(16) NOT NULL,
        op_name VARCHAR(64) NOT NULL,
        requests INT NOT NULL DEFAULT 0,
        errors INT NOT NULL DEFAULT 0,
        latency_ms_sum DOUBLE NOT NULL DEFAULT 0,
        latency_ms_max DOUBLE NOT NULL DEFAULT 0,
        lat_0_5 INT NOT NULL DEFAULT 0,
        lat_5_10 INT NOT NULL DEFAULT 0,
        lat_10_25 INT NOT NULL DEFAULT 0,
        lat_25_50 INT NOT NULL DEFAULT 0,
        lat_50_100 INT NOT NULL DEFAULT 0,
        lat_100_250 INT NOT NULL DEFAULT 0,
        lat_250_500 INT NOT NULL DEFAULT 0,
        lat_500_1000 INT NOT NULL DEFAULT 0,
        lat_1000_2500 INT NOT NULL DEFAULT 0,
        lat_2500_5000 INT NOT NULL DEFAULT 0,
        lat_5000_10000 INT NOT NULL DEFAULT 0,
        lat_10000_inf INT NOT NULL DEFAULT 0,
        PRIMARY KEY (bucket_start, op_type, op_name)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE request_metric_errors (
        bucket_start DATETIME(3) NOT NULL,
        op_type VARCHAR(16) NOT NULL,
        op_name VARCHAR(64) NOT NULL,
        code VARCHAR(48) NOT NULL,
        requests INT NOT NULL DEFAULT 0,
        PRIMARY KEY (bucket_start, op_type, op_name, code)
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE anomaly_detector_state (
        metric VARCHAR(32) NOT NULL PRIMARY KEY,
        mean DOUBLE NOT NULL DEFAULT 0,
        variance DOUBLE NOT NULL DEFAULT 0,
        observations INT NOT NULL DEFAULT 0,
        evaluated_until DATETIME(3) NULL,
        updated_at DATETIME(3) NOT NULL
      ) ENGINE=InnoDB`);
    await q.query(`
      CREATE TABLE anomalies (
        id CHAR(36) NOT NULL PRIMARY KEY,
        metric VARCHAR(32) NOT NULL,
        window_start DATETIME(3) NOT NULL,
        window_end DATETIME(3) NOT NULL,
        observed DOUBLE NOT NULL,
        expected DOUBLE NOT NULL,
        deviation DOUBLE NOT NULL,
        score DOUBLE NOT NULL,
        threshold DOUBLE NOT NULL,
        summary VARCHAR(500) NOT NULL,
        detected_at DATETIME(3) NOT NULL,
        UNIQUE KEY uq_anomalies_window (metric, window_start),
        KEY ix_anomalies_time (window_start)
      ) ENGINE=InnoDB`);
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
    // The template is empty, so every quota starts at zero; tenant schemas copy these rows.
    await q.query(`
      INSERT INTO quota_usage (quota, used, reserved, updated_at) VALUES
        ('storageBytes', 0, 0, NOW(3)), ('datasets', 0, 0, NOW(3)), ('datasetVersions', 0, 0, NOW(3)),
        ('models', 0, 0, NOW(3)), ('modelVersions', 0, 0, NOW(3))`);
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
    const tables = ['usage_samples', 'usage_budget_alerts', 'usage_budgets', 'usage_meters', 'quota_reservations', 'quota_usage', 'anomalies', 'anomaly_detector_state', 'request_metric_errors', 'request_metrics'];
    for (const table of tables) await q.query(`DROP TABLE ${table}`);
  }
}
