import { DataType } from '../onnx-schema';
import { buildModel, node, valueInfo } from '../model-builder';
import { BATCH_DIM, resolveIoNames } from './io-names';
import { linearGraphParts, type LinearModelSpec } from './linear-regression';

/** Logistic regression: input `[batch, F]` float32 → probability `[batch, 1]` = sigmoid(x · w + b). */
export function buildLogisticRegression(spec: LinearModelSpec): Uint8Array {
  const { input, output } = resolveIoNames(spec);
  const { nodes, initializers } = linearGraphParts(spec, 'tessera/logit');
  return buildModel({
    docString: 'Logistic regression built by @tessera/onnx',
    graph: {
      name: 'logistic_regression',
      node: [...nodes, node('Sigmoid', ['tessera/logit'], [output], { name: 'probability' })],
      initializer: initializers,
      input: [valueInfo(input, DataType.FLOAT, [BATCH_DIM, spec.weights.length])],
      output: [valueInfo(output, DataType.FLOAT, [BATCH_DIM, 1])],
    },
  });
}
