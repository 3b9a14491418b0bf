import { createYielder, rowsPerClockCheck } from './cooperative';
import type { HyperParameters } from './hyper-parameters';
import { seededRandom, shuffle } from './random';
import { fitStandardizer, standardize } from './standardizer';
import { sigmoid, TrainingCancelled, type TrainedModel, type TrainingHooks } from './trained-model';
import type { TrainingData } from './training-data';

/**
 * Linear or logistic regression by mini-batch gradient descent on standardized features
 * (squared error / cross-entropy, optional L2), then mapped back to raw feature units.
 */
export async function trainLinear(kind: 'LINEAR_REGRESSION' | 'LOGISTIC_REGRESSION', data: TrainingData, hp: HyperParameters, hooks: TrainingHooks = {}): Promise<TrainedModel> {
  const logistic = kind === 'LOGISTIC_REGRESSION';
  const scaler = fitStandardizer(data, !logistic);
  const train = standardize(data, scaler);
  const f = data.featureCount;
  const n = data.rows;
  const w = new Float64Array(f);
  let b = 0;
  const gradW = new Float64Array(f);
  const order = new Uint32Array(n).map((_, i) => i);
  const random = seededRandom(hp.seed);
  const yieldNow = createYielder();
  const batch = Math.min(hp.batchSize, n);
  // Within a batch and the loss pass too (up to 65 536 rows of up to 1 000 features a batch).
  const checkEvery = rowsPerClockCheck(2 * f);
  // Synchronous until due: an await per row would cost a small model more than its row.
  const due = (row: number) => row % checkEvery === 0 && yieldNow.due();

  const predict = (r: number) => {
    let z = b;
    for (let j = 0; j < f; j++) z += w[j]! * train.features[r * f + j]!;
    return logistic ? sigmoid(z) : z;
  };

  for (let epoch = 1; epoch <= hp.epochs; epoch++) {
    if (hooks.shouldStop?.()) throw new TrainingCancelled();
    shuffle(order, random);
    for (let start = 0; start < n; start += batch) {
      const end = Math.min(n, start + batch);
      gradW.fill(0);
      let gradB = 0;
      for (let k = start; k < end; k++) {
        if (due(k) && (await yieldNow()) && hooks.shouldStop?.()) throw new TrainingCancelled();
        const r = order[k]!;
        const error = predict(r) - train.targets[r]!;
        for (let j = 0; j < f; j++) gradW[j] = gradW[j]! + error * train.features[r * f + j]!;
        gradB += error;
      }
      const size = end - start;
      for (let j = 0; j < f; j++) w[j] = w[j]! - hp.learningRate * (gradW[j]! / size + hp.l2 * w[j]!);
      b -= hp.learningRate * (gradB / size);
      if ((await yieldNow()) && hooks.shouldStop?.()) throw new TrainingCancelled();
    }
    let loss = 0;
    for (let r = 0; r < n; r++) {
      if (due(r) && (await yieldNow()) && hooks.shouldStop?.()) throw new TrainingCancelled();
      const p = predict(r);
      const y = train.targets[r]!;
      loss += logistic ? -(y * Math.log(Math.max(p, 1e-12)) + (1 - y) * Math.log(Math.max(1 - p, 1e-12))) : (p - y) * (p - y);
    }
    loss /= n;
    if (!logistic) loss *= scaler.targetStd * scaler.targetStd;
    await hooks.onEpoch?.({ epoch, epochs: hp.epochs, loss });
  }

  // Back to raw units: y = ty*(b + Σ w_j (x_j − μ_j)/σ_j) + μy.
  const weights: number[] = [];
  let bias = b;
  for (let j = 0; j < f; j++) {
    weights.push((w[j]! / scaler.stds[j]!) * scaler.targetStd);
    bias -= (w[j]! * scaler.means[j]!) / scaler.stds[j]!;
  }
  bias = bias * scaler.targetStd + scaler.targetMean;
  return { kind, weights, bias };
}
