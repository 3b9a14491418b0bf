/**
 * The online model behind anomaly detection: per series, an exponentially weighted mean and
 * variance (EWMA/EWMV) of what each bucket measured, and a one-sided z-score against it.
 *
 * Why this model: its whole state is three numbers, so it lives in one row per tenant and series
 * and is updated in O(1) per bucket, whatever the history; it follows slow drift (a tenant that
 * grows) while a sudden jump stands out; and every verdict can be explained ("observed 0.92,
 * expected 0.01 ± 0.05"). Three guards make it usable on real traffic:
 * - a warm-up: the first `warmup` observations only teach the model (with exact running averages,
 *   so the baseline is right from the start) and never flag;
 * - a floor on the spread (absolute and relative to the mean): a perfectly steady series would
 *   otherwise call any wiggle an anomaly;
 * - damped learning from anomalous buckets: an attack that lasts does not become "normal" at once,
 *   yet a lasting change of level is learned eventually.
 * Only increases are flagged: the guide's concerns are spikes (load, errors, latency, reads).
 */
export interface SeriesModelState {
  mean: number;
  variance: number;
  observations: number;
}

export interface SeriesModelParameters {
  /** Weight of a new observation once warmed up. */
  alpha: number;
  /** Observations before anything may be flagged. */
  warmup: number;
  /** z-score at or above which an observation is anomalous. */
  threshold: number;
  /** Fraction of alpha an anomalous observation is learned with (0: not at all). */
  anomalyWeight: number;
  /** The spread never counts as smaller than this (units of the series). */
  minDeviation: number;
  /** Nor smaller than this fraction of the expected value. */
  relativeDeviation: number;
  /** Observations below this are never anomalous, whatever the score (no alarms on tiny absolute values). */
  minObserved: number;
}

export interface Judgement {
  anomalous: boolean;
  warmingUp: boolean;
  /** The model's mean before this observation. */
  expected: number;
  /** The spread the score was measured in. */
  deviation: number;
  score: number;
  next: SeriesModelState;
}

export const initialModelState: SeriesModelState = { mean: 0, variance: 0, observations: 0 };

export function judge(state: SeriesModelState, observed: number, p: SeriesModelParameters): Judgement {
  const warmingUp = state.observations < p.warmup;
  const expected = state.mean;
  const deviation = Math.max(Math.sqrt(Math.max(state.variance, 0)), p.minDeviation, p.relativeDeviation * Math.abs(expected));
  const score = state.observations === 0 ? 0 : (observed - expected) / deviation;
  const anomalous = !warmingUp && score >= p.threshold && observed >= p.minObserved;
  // During warm-up 1/(n+1) makes mean and variance the exact running ones; afterwards a fixed alpha forgets slowly.
  const weight = warmingUp ? Math.max(1 / (state.observations + 1), p.alpha) : p.alpha * (anomalous ? p.anomalyWeight : 1);
  return { anomalous, warmingUp, expected, deviation, score, next: update(state, observed, weight) };
}

/** One EWMA step of mean and variance (West 1979 / Finch 2009 incremental form). */
export function update(state: SeriesModelState, x: number, weight: number): SeriesModelState {
  const observations = state.observations + 1;
  if (weight <= 0) return { ...state, observations };
  const diff = x - state.mean;
  const increment = weight * diff;
  return { mean: state.mean + increment, variance: (1 - weight) * (state.variance + diff * increment), observations };
}
