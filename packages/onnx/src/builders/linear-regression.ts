import { DataType } from '../onnx-schema';
import { buildModel, floatTensor, node, valueInfo } from '../model-builder';
import type { Node, Tensor } from '../onnx-schema';
import { BATCH_DIM, resolveIoNames, type IoNames } from './io-names';

export interface LinearModelSpec extends IoNames {
  /** One weight per feature: the input is `[batch, weights.length]`. */
  weights: number[];
  bias: number;
}

/** `x · w + b` as one Gemm writing `scoreName`; shared by linear and logistic regression. */
export function linearGraphParts(spec: LinearModelSpec, scoreName: string): { nodes: Node[]; initializers: Tensor[] } {
  if (spec.weights.length === 0) throw new RangeError('weights must have at least one feature');
  const features = spec.weights.length;
  const { input } = resolveIoNames(spec);
  return {
    initializers: [
      floatTensor('tessera/weights', [features, 1], spec.weights),
      floatTensor('tessera/bias', [1], [spec.bias]),
    ],
    nodes: [node('Gemm', [input, 'tessera/weights', 'tessera/bias'], [scoreName], { name: 'linear' })],
  };
}

/** Linear regression: input `[batch, F]` float32 → output `[batch, 1]` float32 (`x · w + b`). */
export function buildLinearRegression(spec: LinearModelSpec): Uint8Array {
  const { input, output } = resolveIoNames(spec);
  const { nodes, initializers } = linearGraphParts(spec, output);
  return buildModel({
    docString: 'Linear regression built by @tessera/onnx',
    graph: {
      name: 'linear_regression',
      node: nodes,
      initializer: initializers,
      input: [valueInfo(input, DataType.FLOAT, [BATCH_DIM, spec.weights.length])],
      output: [valueInfo(output, DataType.FLOAT, [BATCH_DIM, 1])],
    },
  });
}
