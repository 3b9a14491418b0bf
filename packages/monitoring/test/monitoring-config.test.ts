import { anomalyDetectionConfig, monitoringVariables, requestMetricsConfig, toMonitoringOptions } from '../src/monitoring-config';

describe('monitoring configuration', () => {
  it('defaults to one-minute buckets written every 10 s', () => {
    expect(requestMetricsConfig()).toEqual({ bucketSeconds: 60, flushIntervalMs: 10_000, maxOperationNames: 50, maxFlushAttempts: 6 });
    expect(anomalyDetectionConfig()).toMatchObject({ bucketSeconds: 60, warmupBuckets: 15, threshold: 4 });
  });

  it('refuses buckets that do not tile a minute', () => {
    expect(() => requestMetricsConfig({ bucketSeconds: 7 })).toThrow(/divide 60/);
    expect(() => anomalyDetectionConfig({ bucketSeconds: 120 })).toThrow(/divide 60/);
    expect(requestMetricsConfig({ bucketSeconds: 15 }).bucketSeconds).toBe(15);
  });

  it('reads the environment variables into one bucket width for both sides', () => {
    const options = toMonitoringOptions(monitoringVariables.parse({ METRICS_BUCKET_SECONDS: '30', ANOMALY_THRESHOLD: '5' }));
    expect(options.requestMetrics?.bucketSeconds).toBe(30);
    expect(options.anomalies).toMatchObject({ bucketSeconds: 30, threshold: 5 });
    expect(() => monitoringVariables.parse({ METRICS_BUCKET_SECONDS: 'soon' })).toThrow();
  });

  it('refuses an interval or delay longer than a Node timer can wait (it would fire every millisecond instead)', () => {
    for (const name of ['METRICS_FLUSH_INTERVAL_MS', 'ANOMALY_INTERVAL_MS', 'ANOMALY_SETTLE_MS']) {
      expect(() => monitoringVariables.parse({ [name]: '2147483648' })).toThrow(/2147483647/);
      expect(() => monitoringVariables.parse({ [name]: '1e12' })).toThrow();
      expect(() => monitoringVariables.parse({ [name]: '-1' })).toThrow();
      expect(monitoringVariables.parse({ [name]: '2147483647' })[name as 'ANOMALY_INTERVAL_MS']).toBe(2_147_483_647);
    }
    expect(monitoringVariables.parse({}).ANOMALY_INTERVAL_MS).toBe(60_000);
  });
});
