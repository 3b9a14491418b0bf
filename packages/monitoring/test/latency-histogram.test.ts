import { emptyHistogram, estimateQuantile, latencyBucketBoundsMs, latencyBucketColumns, latencyBucketIndex } from '../src/latency-histogram';

describe('latency histogram', () => {
  it('has one column per bound, named by its range', () => {
    expect(latencyBucketColumns).toHaveLength(latencyBucketBoundsMs.length);
    expect(latencyBucketColumns[0]).toBe('lat_0_5');
    expect(latencyBucketColumns.at(-1)).toBe('lat_10000_inf');
  });

  it('puts a latency in the first bucket whose upper bound holds it', () => {
    expect(latencyBucketIndex(0)).toBe(0);
    expect(latencyBucketIndex(5)).toBe(0);
    expect(latencyBucketIndex(5.01)).toBe(1);
    expect(latencyBucketIndex(99)).toBe(4);
    expect(latencyBucketIndex(60_000)).toBe(latencyBucketBoundsMs.length - 1);
  });

  it('estimates quantiles by linear interpolation inside the bucket', () => {
    const counts = emptyHistogram();
    counts[latencyBucketIndex(30)] = 100; // 100 requests in (25, 50]
    expect(estimateQuantile(counts, 0.5, 50)).toBeCloseTo(37.5, 6);
    expect(estimateQuantile(counts, 1, 50)).toBeCloseTo(50, 6);
  });

  it('spans buckets by cumulative rank', () => {
    const counts = emptyHistogram();
    counts[0] = 90; // (0, 5]
    counts[5] = 10; // (100, 250]
    expect(estimateQuantile(counts, 0.5, 240)).toBeCloseTo((50 / 90) * 5, 6);
    expect(estimateQuantile(counts, 0.95, 240)).toBeCloseTo(100 + 150 * 0.5, 6);
    // the estimate never exceeds the largest latency observed
    expect(estimateQuantile(counts, 0.99, 120)).toBe(120);
  });

  it('uses the largest observed latency for the open last bucket, and null when empty', () => {
    const counts = emptyHistogram();
    expect(estimateQuantile(counts, 0.5, 0)).toBeNull();
    counts[counts.length - 1] = 3;
    expect(estimateQuantile(counts, 0.99, 42_000)).toBe(42_000);
  });
});
