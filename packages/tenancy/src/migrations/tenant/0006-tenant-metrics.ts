import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant plane: monitoring (seed section 9).
 * - `request_metrics`: what the gateway measured per time bucket (one minute by default), operation
 *   type and name. Gateways aggregate in memory and upsert by adding, so a row is a sum over every
 *   replica and every flush, never a row per request. Latency is kept as a fixed-bucket histogram
 *   (non-cumulative counts, bounds in `@tessera/metrics-recorder`) so percentiles can be estimated
 *   for any range by adding rows.
 * - `request_metric_errors`: per bucket and operation, how many requests failed with each error code.
 * - `anomaly_detector_state`: the online model of each monitored series (EWMA mean and variance)
 *   and how far it has read; locked by the evaluation's transaction so replicas never double-count.
 * - `anomalies`: what the detector flagged; one row per series and bucket (unique), so a re-run of
 *   the same bucket cannot flag it twice.
 */
export class TenantMetrics1764000000006 implements MigrationInterface {
  name = 'TenantMetrics1764000000006';

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
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['anomalies', 'anomaly_detector_state', 'request_metric_errors', 'request_metrics']) await q.query(`DROP TABLE ${table}`);
  }
}
