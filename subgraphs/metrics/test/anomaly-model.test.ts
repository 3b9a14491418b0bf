import { anomalyDetectionConfig } from '@tessera/monitoring';
import { initialModelState, judge, type SeriesModelParameters, type SeriesModelState } from '../src/domain/anomaly-model';
import { evaluationWindow } from '../src/domain/anomaly-detector';

const parameters: SeriesModelParameters = { alpha: 0.05, warmup: 15, threshold: 4, anomalyWeight: 0.1, minDeviation: 5, relativeDeviation: 0.1, minObserved: 30 };

/** Deterministic noise (a linear congruential generator), so the series is the same on every run. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31 - 0.5; // uniform in [-0.5, 0.5)
  };
}

function run(series: number[], p = parameters): Array<{ index: number; anomalous: boolean; warmingUp: boolean; score: number }> {
  let state: SeriesModelState = initialModelState;
  return series.map((x, index) => {
    const verdict = judge(state, x, p);
    state = verdict.next;
    return { index, anomalous: verdict.anomalous, warmingUp: verdict.warmingUp, score: verdict.score };
  });
}

const steady = (length: number, level: number, spread: number, seed = 7) => {
  const next = noise(seed);
  return Array.from({ length }, () => level + spread * next());
};

describe('anomaly model (EWMA mean/variance, one-sided z-score)', () => {
  it('does not flag steady noise', () => {
    expect(run(steady(2_000, 100, 30)).filter((v) => v.anomalous)).toEqual([]);
  });

  it('flags an injected spike, and only the spike', () => {
    const series = steady(400, 100, 30);
    series[300] = 260;
    const flagged = run(series).filter((v) => v.anomalous);
    expect(flagged.map((v) => v.index)).toEqual([300]);
    expect(flagged[0]!.score).toBeGreaterThanOrEqual(parameters.threshold);
  });

  it('only flags increases (a drop is not a spike)', () => {
    const series = steady(400, 100, 30);
    series[300] = 0;
    expect(run(series).filter((v) => v.anomalous)).toEqual([]);
  });

  it('respects the warm-up: nothing is flagged before it has seen `warmup` observations', () => {
    const series = steady(40, 100, 10);
    series[5] = 10_000;
    const verdicts = run(series);
    expect(verdicts[5]).toMatchObject({ warmingUp: true, anomalous: false });
    expect(verdicts.slice(0, parameters.warmup).every((v) => v.warmingUp)).toBe(true);
    expect(verdicts[parameters.warmup]!.warmingUp).toBe(false);
  });

  it('learns the exact mean and variance during the warm-up', () => {
    let state = initialModelState;
    for (const x of [2, 4, 4, 4, 5, 5, 7, 9]) state = judge(state, x, parameters).next;
    expect(state.mean).toBeCloseTo(5, 10);
    expect(state.variance).toBeCloseTo(4, 10); // population variance of the eight values
  });

  it('gives the numbers of a hand-computed series: expected, spread, score, and the damped update after a flag', () => {
    // Warm-up of four: 10, 12, 8, 10 → mean 10, population variance (0 + 4 + 4 + 0) / 4 = 2.
    const p: SeriesModelParameters = { ...parameters, warmup: 4, minDeviation: 0.5, relativeDeviation: 0.1, minObserved: 1 };
    let state = initialModelState;
    for (const x of [10, 12, 8, 10]) state = judge(state, x, p).next;
    expect(state).toEqual({ mean: 10, variance: 2, observations: 4 });
    // 11: spread √2 (above both floors: 0.5 and 10% of 10), score 1/√2, learned with alpha 0.05.
    const calm = judge(state, 11, p);
    expect(calm).toMatchObject({ anomalous: false, warmingUp: false, expected: 10 });
    expect(calm.deviation).toBeCloseTo(Math.SQRT2, 12);
    expect(calm.score).toBeCloseTo(1 / Math.SQRT2, 12);
    expect(calm.next.mean).toBeCloseTo(10.05, 12); // 10 + 0.05 × 1
    expect(calm.next.variance).toBeCloseTo(0.95 * (2 + 1 * 0.05), 12); // (1 − w)(v + d · w · d) = 1.9475
    // 20 after the same baseline: score 10/√2 ≈ 7.07 ≥ 4, flagged, learned at 0.05 × 0.1 = 0.005.
    const spike = judge(state, 20, p);
    expect(spike).toMatchObject({ anomalous: true, warmingUp: false, expected: 10 });
    expect(spike.deviation).toBeCloseTo(Math.SQRT2, 12);
    expect(spike.score).toBeCloseTo(10 / Math.SQRT2, 12);
    expect(spike.next.mean).toBeCloseTo(10.05, 12); // 10 + 0.005 × 10
    expect(spike.next.variance).toBeCloseTo(0.995 * (2 + 10 * 0.05), 12); // 2.4875
    expect(spike.next.observations).toBe(5);
    // The floors: a flat series has no variance, so the spread is max(0.5, 10% of the mean).
    let flat = initialModelState;
    for (const x of [10, 10, 10, 10]) flat = judge(flat, x, p).next;
    expect(judge(flat, 14, p)).toMatchObject({ deviation: 1, score: 4, anomalous: true }); // 10% of 10, exactly at the threshold
    expect(judge({ ...flat, mean: 2 }, 4, p)).toMatchObject({ deviation: 0.5, score: 4, anomalous: true }); // the absolute floor
  });

  it('does not alarm on tiny absolute values or on a perfectly flat series wiggling', () => {
    // an idle tenant: ~0 requests per minute, then 20 (below minObserved 30)
    expect(run([...Array(50).fill(0), 20]).filter((v) => v.anomalous)).toEqual([]);
    // flat at 1000, then 1030: 3% is inside the relative floor (10% of the mean)
    expect(run([...Array(50).fill(1000), 1030]).filter((v) => v.anomalous)).toEqual([]);
    // but a flat error rate of 0 jumping to 0.9 is flagged
    const errorRate: SeriesModelParameters = { ...parameters, minDeviation: 0.05, relativeDeviation: 0, minObserved: 0.2 };
    expect(run([...Array(50).fill(0), 0.9], errorRate).filter((v) => v.anomalous).map((v) => v.index)).toEqual([50]);
  });

  it('keeps flagging a lasting burst for a while, then learns the new level', () => {
    const series = [...steady(100, 100, 20), ...Array(400).fill(400)];
    const verdicts = run(series);
    expect(verdicts.slice(100, 110).every((v) => v.anomalous)).toBe(true);
    expect(verdicts.slice(450).some((v) => v.anomalous)).toBe(false);
  });
});

describe('evaluation window', () => {
  const config = anomalyDetectionConfig({ settleMs: 30_000, maxCatchUpBuckets: 10 });
  const now = new Date(Date.UTC(2026, 0, 1, 12, 10, 45));

  it('judges closed, settled buckets only: from where the series stopped up to now − settle', () => {
    expect(evaluationWindow(new Date(Date.UTC(2026, 0, 1, 12, 7)), null, now, 60_000, config)).toEqual({
      from: Date.UTC(2026, 0, 1, 12, 7),
      to: Date.UTC(2026, 0, 1, 12, 10),
    });
  });

  it('starts a new series at its first data, and has nothing to do without data', () => {
    expect(evaluationWindow(null, new Date(Date.UTC(2026, 0, 1, 12, 8, 20)), now, 60_000, config)).toEqual({ from: Date.UTC(2026, 0, 1, 12, 8), to: Date.UTC(2026, 0, 1, 12, 10) });
    expect(evaluationWindow(null, null, now, 60_000, config)).toBeNull();
    expect(evaluationWindow(new Date(Date.UTC(2026, 0, 1, 12, 10)), null, now, 60_000, config)).toBeNull();
  });

  it('catches up at most maxCatchUpBuckets after a long gap', () => {
    expect(evaluationWindow(new Date(Date.UTC(2025, 0, 1)), null, now, 60_000, config)).toEqual({ from: Date.UTC(2026, 0, 1, 12, 0), to: Date.UTC(2026, 0, 1, 12, 10) });
  });
});
