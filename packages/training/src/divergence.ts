import type { HyperParameters } from './hyper-parameters';
import type { EpochReport, TrainedModel } from './trained-model';

/**
 * Gradient descent with too large a step overshoots and grows without bound until the loss or the
 * weights are no longer finite. Such a run is not a model: it ends with this error (the job fails
 * with it, nothing is exported or registered), never with NaN or Infinity handed on.
 */
export class TrainingDiverged extends Error {
  constructor(
    /** The epoch whose loss was not finite; null when only the final weights were out of range. */
    readonly epoch: number | null,
    readonly learningRate: number,
    message: string,
  ) {
    super(message);
    this.name = 'TrainingDiverged';
  }
}

const advice = (hp: HyperParameters) => `Lower hyperParameters.learningRate (it was ${hp.learningRate}) and train again.`;

/** After each epoch, before the loss is reported anywhere. */
export function checkEpochLoss(report: EpochReport, hp: HyperParameters): void {
  if (Number.isFinite(report.loss)) return;
  throw new TrainingDiverged(report.epoch, hp.learningRate, `Training diverged: the loss after epoch ${report.epoch} of ${report.epochs} is ${report.loss}. ${advice(hp)}`);
}

/**
 * The exported graph holds float32 tensors: a weight that is finite as a float64 but beyond
 * float32's range (±3.4e38) becomes ±Infinity there, and every prediction NaN. So each weight and
 * bias must be finite as a float32, not only as a float64.
 */
export function checkModelWeights(model: TrainedModel, hp: HyperParameters): void {
  const values = model.kind === 'MLP' ? model.layers.flatMap((layer) => [...layer.weights.flat(), ...layer.bias]) : [...model.weights, model.bias];
  const bad = values.find((value) => !Number.isFinite(Math.fround(value)));
  if (bad === undefined) return;
  throw new TrainingDiverged(null, hp.learningRate, `Training diverged: a trained weight is ${bad}, beyond what the model can hold (float32). ${advice(hp)}`);
}
