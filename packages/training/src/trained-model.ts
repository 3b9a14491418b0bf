import type { HiddenActivation } from './hyper-parameters';

export type LayerActivation = HiddenActivation | 'none';

export interface DenseLayer {
  /** `[in][out]`, the layout @tessera/onnx's buildMlp takes. */
  weights: number[][];
  bias: number[];
  activation: LayerActivation;
}

/** A trained model in raw feature units, ready for export or direct prediction. */
export type TrainedModel =
  | { kind: 'LINEAR_REGRESSION'; weights: number[]; bias: number }
  | { kind: 'LOGISTIC_REGRESSION'; weights: number[]; bias: number }
  | { kind: 'MLP'; layers: DenseLayer[] };

export interface EpochReport {
  epoch: number;
  epochs: number;
  /** Mean squared error in target units (regression) or log-loss (logistic), over all rows. */
  loss: number;
}

export interface TrainingHooks {
  /** Called after every epoch; the worker persists progress and checks for cancellation here. */
  onEpoch?(report: EpochReport): Promise<void> | void;
  /** Polled before every epoch and whenever training hands the event loop back (every few tens of ms): true stops training with TrainingCancelled. */
  shouldStop?(): boolean;
}

export class TrainingCancelled extends Error {
  constructor() {
    super('training was cancelled');
    this.name = 'TrainingCancelled';
  }
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

function activate(value: number, activation: LayerActivation): number {
  if (activation === 'relu') return value > 0 ? value : 0;
  if (activation === 'tanh') return Math.tanh(value);
  return value;
}

/** What the exported ONNX model computes for one row (same math, float64). */
export function predictRow(model: TrainedModel, row: readonly number[]): number {
  if (model.kind !== 'MLP') {
    let z = model.bias;
    for (let j = 0; j < model.weights.length; j++) z += model.weights[j]! * row[j]!;
    return model.kind === 'LOGISTIC_REGRESSION' ? sigmoid(z) : z;
  }
  let current: number[] = [...row];
  for (const layer of model.layers) {
    const next = layer.bias.map((b, o) => {
      let z = b;
      for (let i = 0; i < current.length; i++) z += current[i]! * layer.weights[i]![o]!;
      return activate(z, layer.activation);
    });
    current = next;
  }
  return current[0]!;
}
