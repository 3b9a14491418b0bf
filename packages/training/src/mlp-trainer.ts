import { createYielder, rowsPerClockCheck } from './cooperative';
import type { HyperParameters } from './hyper-parameters';
import { seededRandom, shuffle } from './random';
import { fitStandardizer, standardize } from './standardizer';
import { TrainingCancelled, type DenseLayer, type LayerActivation, type TrainedModel, type TrainingHooks } from './trained-model';
import type { TrainingData } from './training-data';

interface Layer {
  inputs: number;
  outputs: number;
  /** `inputs × outputs`, row-major: w[i * outputs + o]. */
  w: Float64Array;
  b: Float64Array;
  gw: Float64Array;
  gb: Float64Array;
  activation: LayerActivation;
}

function act(value: number, activation: LayerActivation): number {
  if (activation === 'relu') return value > 0 ? value : 0;
  if (activation === 'tanh') return Math.tanh(value);
  return value;
}

/** Derivative from the activation's output (cheaper than from its input for both). */
function actDerivative(output: number, activation: LayerActivation): number {
  if (activation === 'relu') return output > 0 ? 1 : 0;
  if (activation === 'tanh') return 1 - output * output;
  return 1;
}

/**
 * A small multi-layer perceptron for regression (squared error, linear output unit), trained by
 * mini-batch backpropagation on standardized data. The input scaling is folded into the first
 * layer and the target scaling into the last, so the exported network takes raw values.
 */
export async function trainMlp(data: TrainingData, hp: HyperParameters, hooks: TrainingHooks = {}): Promise<TrainedModel> {
  const scaler = fitStandardizer(data, true);
  const train = standardize(data, scaler);
  const random = seededRandom(hp.seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const sizes = [data.featureCount, ...hp.hiddenUnits, 1];
  const layers: Layer[] = [];
  for (let l = 0; l < sizes.length - 1; l++) {
    const inputs = sizes[l]!;
    const outputs = sizes[l + 1]!;
    const scale = Math.sqrt((hp.activation === 'relu' ? 2 : 1) / inputs); // He / Xavier
    layers.push({
      inputs,
      outputs,
      w: new Float64Array(inputs * outputs).map(() => gaussian() * scale),
      b: new Float64Array(outputs),
      gw: new Float64Array(inputs * outputs),
      gb: new Float64Array(outputs),
      activation: l === sizes.length - 2 ? 'none' : hp.activation,
    });
  }
  const outputsOf = layers.map((layer) => new Float64Array(layer.outputs));
  const deltas = layers.map((layer) => new Float64Array(layer.outputs));
  const f = data.featureCount;
  const input = new Float64Array(f);

  const forward = (r: number): number => {
    for (let j = 0; j < f; j++) input[j] = train.features[r * f + j]!;
    let current: Float64Array = input;
    layers.forEach((layer, l) => {
      const out = outputsOf[l]!;
      for (let o = 0; o < layer.outputs; o++) {
        let z = layer.b[o]!;
        for (let i = 0; i < layer.inputs; i++) z += current[i]! * layer.w[i * layer.outputs + o]!;
        out[o] = act(z, layer.activation);
      }
      current = out;
    });
    return current[0]!;
  };

  const n = data.rows;
  const order = new Uint32Array(n).map((_, i) => i);
  const batch = Math.min(hp.batchSize, n);
  const yieldNow = createYielder();
  // Within a batch and the loss pass too: one batch of the largest network (batchSize up to 65 536)
  // or the loss over every row held the worker's one thread for minutes when only batches yielded.
  const checkEvery = rowsPerClockCheck(layers.reduce((sum, layer) => sum + layer.inputs * layer.outputs, 0) * 3);
  // Synchronous until due: an await per row would cost a small model more than its row.
  const due = (row: number) => row % checkEvery === 0 && yieldNow.due();
  for (let epoch = 1; epoch <= hp.epochs; epoch++) {
    if (hooks.shouldStop?.()) throw new TrainingCancelled();
    shuffle(order, random);
    for (let start = 0; start < n; start += batch) {
      const end = Math.min(n, start + batch);
      for (const layer of layers) {
        layer.gw.fill(0);
        layer.gb.fill(0);
      }
      for (let k = start; k < end; k++) {
        if (due(k) && (await yieldNow()) && hooks.shouldStop?.()) throw new TrainingCancelled();
        const r = order[k]!;
        const prediction = forward(r);
        deltas[layers.length - 1]![0] = prediction - train.targets[r]!;
        for (let l = layers.length - 1; l >= 0; l--) {
          const layer = layers[l]!;
          const delta = deltas[l]!;
          const below = l === 0 ? input : outputsOf[l - 1]!;
          for (let i = 0; i < layer.inputs; i++) {
            let back = 0;
            for (let o = 0; o < layer.outputs; o++) {
              layer.gw[i * layer.outputs + o] = layer.gw[i * layer.outputs + o]! + below[i]! * delta[o]!;
              back += layer.w[i * layer.outputs + o]! * delta[o]!;
            }
            if (l > 0) deltas[l - 1]![i] = back * actDerivative(below[i]!, layers[l - 1]!.activation);
          }
          for (let o = 0; o < layer.outputs; o++) layer.gb[o] = layer.gb[o]! + delta[o]!;
        }
      }
      const size = end - start;
      for (const layer of layers) {
        for (let k = 0; k < layer.w.length; k++) layer.w[k] = layer.w[k]! - hp.learningRate * (layer.gw[k]! / size + hp.l2 * layer.w[k]!);
        for (let o = 0; o < layer.outputs; o++) layer.b[o] = layer.b[o]! - hp.learningRate * (layer.gb[o]! / size);
      }
      if ((await yieldNow()) && hooks.shouldStop?.()) throw new TrainingCancelled();
    }
    let loss = 0;
    for (let r = 0; r < n; r++) {
      if (due(r) && (await yieldNow()) && hooks.shouldStop?.()) throw new TrainingCancelled();
      const error = forward(r) - train.targets[r]!;
      loss += error * error;
    }
    await hooks.onEpoch?.({ epoch, epochs: hp.epochs, loss: (loss / n) * scaler.targetStd * scaler.targetStd });
  }
  return { kind: 'MLP', layers: toRawUnits(layers, scaler.means, scaler.stds, scaler.targetMean, scaler.targetStd) };
}

function toRawUnits(layers: Layer[], means: Float64Array, stds: Float64Array, targetMean: number, targetStd: number): DenseLayer[] {
  return layers.map((layer, l) => {
    const weights: number[][] = [];
    const bias = [...layer.b];
    for (let i = 0; i < layer.inputs; i++) {
      const row: number[] = [];
      for (let o = 0; o < layer.outputs; o++) row.push(layer.w[i * layer.outputs + o]!);
      weights.push(row);
    }
    if (l === 0) {
      // (x − μ)/σ · W + b  =  x · (W/σ) + (b − Σ μ W/σ)
      for (let i = 0; i < layer.inputs; i++) {
        for (let o = 0; o < layer.outputs; o++) {
          weights[i]![o] = weights[i]![o]! / stds[i]!;
          bias[o] = bias[o]! - means[i]! * weights[i]![o]!;
        }
      }
    }
    if (l === layers.length - 1) {
      for (let i = 0; i < layer.inputs; i++) for (let o = 0; o < layer.outputs; o++) weights[i]![o] = weights[i]![o]! * targetStd;
      for (let o = 0; o < layer.outputs; o++) bias[o] = bias[o]! * targetStd + targetMean;
    }
    return { weights, bias, activation: layer.activation };
  });
}
