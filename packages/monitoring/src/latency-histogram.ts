/**
 * Fixed latency buckets (upper bounds in ms, the last one open). Fixed rather than per-tenant or
 * adaptive so histograms of any bucket, replica or tenant add up column by column, which is what
 * lets percentiles be estimated for any time range from pre-aggregated rows.
 */
export const latencyBucketBoundsMs = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, Number.POSITIVE_INFINITY] as const;

/** Column names in `request_metrics`, one per bucket, in the order of the bounds. */
export const latencyBucketColumns: readonly string[] = latencyBucketBoundsMs.map((upper, i) => {
  const lower = i === 0 ? 0 : latencyBucketBoundsMs[i - 1]!;
  return `lat_${lower}_${Number.isFinite(upper) ? upper : 'inf'}`;
});

export function emptyHistogram(): number[] {
  return latencyBucketBoundsMs.map(() => 0);
}

export function latencyBucketIndex(latencyMs: number): number {
  const index = latencyBucketBoundsMs.findIndex((upper) => latencyMs <= upper);
  return index === -1 ? latencyBucketBoundsMs.length - 1 : index;
}

/**
 * The q-quantile (0 < q ≤ 1) of the latencies a histogram counted, interpolating linearly inside
 * the bucket that holds it (as Prometheus' histogram_quantile does). The open last bucket has no
 * upper bound, so the largest latency seen stands in for it; no estimate exceeds that maximum.
 * Null when the histogram is empty.
 */
export function estimateQuantile(counts: readonly number[], q: number, maxObservedMs: number): number | null {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total <= 0) return null;
  const rank = Math.min(Math.max(q, 0), 1) * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] ?? 0;
    if (count > 0 && cumulative + count >= rank) {
      const lower = i === 0 ? 0 : latencyBucketBoundsMs[i - 1]!;
      const upper = latencyBucketBoundsMs[i] ?? Number.POSITIVE_INFINITY;
      if (!Number.isFinite(upper)) return Math.max(lower, maxObservedMs);
      const estimate = lower + (upper - lower) * ((rank - cumulative) / count);
      return Math.min(estimate, Math.max(maxObservedMs, lower));
    }
    cumulative += count;
  }
  return maxObservedMs;
}
