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
});
