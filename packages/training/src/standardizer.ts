import type { TrainingData } from './training-data';

/**
 * Per-feature mean and standard deviation. Gradient descent runs on standardized values (so one
 * learning rate suits features of any scale); the exported model folds the scaling back in, so it
 * takes raw feature values like the CSV's.
 */
export interface Standardizer {
  means: Float64Array;
  stds: Float64Array;
  targetMean: number;
  targetStd: number;
}

export function fitStandardizer(data: TrainingData, scaleTarget: boolean): Standardizer {
  const f = data.featureCount;
  const means = new Float64Array(f);
  const squares = new Float64Array(f);
  let targetSum = 0;
  let targetSquares = 0;
  for (let r = 0; r < data.rows; r++) {
    for (let j = 0; j < f; j++) {
      const v = data.features[r * f + j]!;
      means[j] = means[j]! + v;
      squares[j] = squares[j]! + v * v;
    }
    targetSum += data.targets[r]!;
    targetSquares += data.targets[r]! * data.targets[r]!;
  }
  const stds = new Float64Array(f);
  for (let j = 0; j < f; j++) {
    means[j] = means[j]! / data.rows;
    stds[j] = safeStd(squares[j]! / data.rows - means[j]! * means[j]!);
  }
  const targetMean = targetSum / data.rows;
  return {
    means,
    stds,
    targetMean: scaleTarget ? targetMean : 0,
    targetStd: scaleTarget ? safeStd(targetSquares / data.rows - targetMean * targetMean) : 1,
  };
}

/** A constant column has no spread: dividing by 1 leaves it constant instead of dividing by 0. */
function safeStd(variance: number): number {
  const std = Math.sqrt(Math.max(0, variance));
  return std > 1e-12 ? std : 1;
}

/** A standardized copy of the data. */
export function standardize(data: TrainingData, s: Standardizer): TrainingData {
  const f = data.featureCount;
  const features = new Float64Array(data.rows * f);
  const targets = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++) {
    for (let j = 0; j < f; j++) features[r * f + j] = (data.features[r * f + j]! - s.means[j]!) / s.stds[j]!;
    targets[r] = (data.targets[r]! - s.targetMean) / s.targetStd;
  }
  return { features, targets, rows: data.rows, featureCount: f };
}
