import { DataType, type Node, type Tensor } from '../onnx-schema';
import { buildModel, floatTensor, node, valueInfo } from '../model-builder';
import { BATCH_DIM, resolveIoNames, type IoNames } from './io-names';

export type MlpActivation = 'relu' | 'tanh' | 'sigmoid' | 'none';

export interface MlpLayer {
  /** `[in][out]`: weights[i][j] connects input feature i to output unit j. */
  weights: number[][];
  bias: number[];
  activation: MlpActivation;
}

export interface MlpSpec extends IoNames {
  layers: MlpLayer[];
}

const ACTIVATION_OPS: Record<Exclude<MlpActivation, 'none'>, string> = {
  relu: 'Relu',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
};

/**
 * Multi-layer perceptron: each layer is `act(h · W + b)` (a Gemm plus an activation node).
 * Input `[batch, layers[0].weights.length]` float32 → output `[batch, units of the last layer]`.
 */
export function buildMlp(spec: MlpSpec): Uint8Array {
  const { input, output } = resolveIoNames(spec);
  if (spec.layers.length === 0) throw new RangeError('an MLP needs at least one layer');
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  let current = input;
  let width = layerShape(spec.layers[0]!, 0).inputs;
  spec.layers.forEach((layer, index) => {
    const { inputs, outputs } = layerShape(layer, index);
    if (inputs !== width) throw new RangeError(`layer ${index} expects ${inputs} inputs but the previous layer has ${width} units`);
    const last = index === spec.layers.length - 1;
    const weightsName = `tessera/layer${index}/weights`;
    const biasName = `tessera/layer${index}/bias`;
    initializers.push(floatTensor(weightsName, [inputs, outputs], layer.weights.flat()));
    initializers.push(floatTensor(biasName, [outputs], layer.bias));
    const linearOut = last && layer.activation === 'none' ? output : `tessera/layer${index}/linear`;
    nodes.push(node('Gemm', [current, weightsName, biasName], [linearOut], { name: `layer${index}/gemm` }));
    current = linearOut;
    if (layer.activation !== 'none') {
      const activated = last ? output : `tessera/layer${index}/activation`;
      nodes.push(node(ACTIVATION_OPS[layer.activation], [current], [activated], { name: `layer${index}/${layer.activation}` }));
      current = activated;
    }
    width = outputs;
  });
  return buildModel({
    docString: 'Multi-layer perceptron built by @tessera/onnx',
    graph: {
      name: 'mlp',
      node: nodes,
      initializer: initializers,
      input: [valueInfo(input, DataType.FLOAT, [BATCH_DIM, layerShape(spec.layers[0]!, 0).inputs])],
      output: [valueInfo(output, DataType.FLOAT, [BATCH_DIM, width])],
    },
  });
}

function layerShape(layer: MlpLayer, index: number): { inputs: number; outputs: number } {
  const inputs = layer.weights.length;
  const outputs = layer.weights[0]?.length ?? 0;
  if (inputs === 0 || outputs === 0) throw new RangeError(`layer ${index}: weights must be a non-empty [in][out] matrix`);
  if (layer.weights.some((row) => row.length !== outputs)) throw new RangeError(`layer ${index}: every weights row must have ${outputs} values`);
  if (layer.bias.length !== outputs) throw new RangeError(`layer ${index}: bias must have ${outputs} values, got ${layer.bias.length}`);
  if (!(layer.activation in ACTIVATION_OPS) && layer.activation !== 'none') throw new RangeError(`layer ${index}: unknown activation ${String(layer.activation)}`);
  return { inputs, outputs };
}
