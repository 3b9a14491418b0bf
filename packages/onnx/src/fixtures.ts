/**
 * TEST FIXTURES: models that onnxruntime (or our validation) must refuse, plus a couple of valid
 * shapes the builders do not cover. Each is a real serialized ModelProto, so tests exercise the
 * same decoding path as an upload.
 */
import { attribute, boolTensor, buildModel, floatTensor, int64Tensor, node, valueInfo } from './model-builder';
import { AttributeType, DataLocation, DataType, encodeModel, type Graph, type OperatorSetId, type Tensor } from './onnx-schema';

export { buildSlowModel } from './builders/slow-model';
export { buildFailingModel } from './builders/failing-model';

const relu = (opsets?: OperatorSetId[], irVersion?: number): Uint8Array =>
  buildModel({
    ...(opsets ? { opsets } : {}),
    ...(irVersion !== undefined ? { irVersion } : {}),
    graph: {
      name: 'relu',
      node: [node('Relu', ['input'], ['output'])],
      input: [valueInfo('input', DataType.FLOAT, ['batch', 2])],
      output: [valueInfo('output', DataType.FLOAT, ['batch', 2])],
    },
  });

/** A valid one-node model (Relu, `[batch, 2]`) with the given default-domain opset. */
export function buildModelWithOpset(version: number): Uint8Array {
  return relu([{ domain: '', version }]);
}

/** A valid one-node model with the given IR version (opset 13). */
export function buildModelWithIrVersion(irVersion: number): Uint8Array {
  return relu([{ domain: '', version: 13 }], irVersion);
}

/** The Relu model with fixed input and output dimensions of the caller's choice (0, -3, 2^62: sizes no call can match). */
export function buildModelWithFixedDims(dims: number[]): Uint8Array {
  return buildModel({
    graph: {
      name: 'fixed_dims',
      node: [node('Relu', ['input'], ['output'])],
      input: [valueInfo('input', DataType.FLOAT, dims)],
      output: [valueInfo('output', DataType.FLOAT, dims)],
    },
  });
}

/** Well-formed protobuf, supported operators, but a graph onnxruntime cannot build (or, for the MatMul, cannot type). */
export type BrokenGraphKind = 'undefined-node-input' | 'unproduced-output' | 'cycle' | 'duplicate-input' | 'incompatible-matmul';

export function buildBrokenGraphModel(kind: BrokenGraphKind): Uint8Array {
  const input = valueInfo('input', DataType.FLOAT, ['batch', 2]);
  const output = valueInfo('output', DataType.FLOAT, ['batch', 2]);
  const graphs: Record<BrokenGraphKind, Graph> = {
    'undefined-node-input': { name: kind, node: [node('Relu', ['nope'], ['output'])], input: [input], output: [output] },
    'unproduced-output': { name: kind, node: [node('Relu', ['input'], ['hidden'])], input: [input], output: [output] },
    cycle: {
      name: kind,
      node: [node('Add', ['input', 'b'], ['output']), node('Relu', ['output'], ['b'])],
      input: [input],
      output: [output],
    },
    'duplicate-input': { name: kind, node: [node('Add', ['input', 'input'], ['output'])], input: [input, input], output: [output] },
    'incompatible-matmul': {
      name: kind,
      node: [node('MatMul', ['input', 'weights'], ['output'])],
      initializer: [floatTensor('weights', [3, 1], [1, 2, 3])],
      input: [input],
      output: [valueInfo('output', DataType.FLOAT, ['batch', 1])],
    },
  };
  return buildModel({ graph: graphs[kind] });
}

/**
 * Wired and typed, but a weight holds 1 value for its shape [2]: only onnxruntime, when it builds the
 * session, notices (and its message names its own source file and C++ function).
 */
export function buildShortInitializerModel(): Uint8Array {
  return buildModel({
    graph: {
      name: 'short_initializer',
      node: [node('Add', ['input', 'bias'], ['output'])],
      initializer: [{ name: 'bias', dims: [2], data_type: DataType.FLOAT, float_data: [1] }],
      input: [valueInfo('input', DataType.FLOAT, ['batch', 2])],
      output: [valueInfo('output', DataType.FLOAT, ['batch', 2])],
    },
  });
}

/**
 * A tiny file whose answer is large: input `[batch, 1]` float32 broadcast to `[batch, valuesPerRow]`
 * (Expand), so `valuesPerRow` output values per row from a one-value row. Batchable along dim 0.
 * `declaredWidth` is the output's second dimension as the file declares it: a name (`'width'`) leaves
 * the width to be learnt from the first answer.
 */
export function buildFanOutModel(valuesPerRow: number, declaredWidth: number | string = valuesPerRow): Uint8Array {
  return buildModel({
    graph: {
      name: 'fan_out',
      node: [node('Expand', ['input', 'shape'], ['output'])],
      initializer: [int64Tensor('shape', [2], [1, valuesPerRow])],
      input: [valueInfo('input', DataType.FLOAT, ['batch', 1])],
      output: [valueInfo('output', DataType.FLOAT, ['batch', declaredWidth])],
    },
  });
}

/**
 * A valid chain of `nodes` Relu nodes (`[batch, 2]` in and out): a few MiB that take seconds to
 * decode and check, since validation costs grow with a file's nodes more than with its bytes.
 */
export function buildDeepChainModel(nodes: number): Uint8Array {
  if (!Number.isInteger(nodes) || nodes < 1) throw new RangeError('a chain needs at least one node');
  const chain = Array.from({ length: nodes }, (_, i) => node('Relu', [i === 0 ? 'input' : `h${i - 1}`], [i === nodes - 1 ? 'output' : `h${i}`], { name: `relu${i}` }));
  return buildModel({
    graph: {
      name: 'deep_chain',
      node: chain,
      input: [valueInfo('input', DataType.FLOAT, ['batch', 2])],
      output: [valueInfo('output', DataType.FLOAT, ['batch', 2])],
    },
  });
}

/** A node whose op_type onnxruntime has never heard of, in the default domain. */
export function buildUnsupportedOperatorModel(opType = 'NotARealOp'): Uint8Array {
  return buildModel({
    graph: {
      name: 'unsupported_operator',
      node: [node(opType, ['input'], ['output'])],
      input: [valueInfo('input', DataType.FLOAT, ['batch', 2])],
      output: [valueInfo('output', DataType.FLOAT, ['batch', 2])],
    },
  });
}

/** A node in a custom domain (imported properly), which onnxruntime has no kernel for. */
export function buildUnknownDomainModel(domain = 'com.example.custom'): Uint8Array {
  return buildModel({
    opsets: [{ domain: '', version: 17 }, { domain, version: 1 }],
    graph: {
      name: 'unknown_domain',
      node: [node('Scale', ['input'], ['output'], { domain })],
      input: [valueInfo('input', DataType.FLOAT, ['batch', 2])],
      output: [valueInfo('output', DataType.FLOAT, ['batch', 2])],
    },
  });
}

/**
 * An `If` whose then-branch hides an unsupported operator: validation must look inside
 * subgraphs, not only at the top-level nodes.
 */
export function buildNestedUnsupportedOperatorModel(): Uint8Array {
  return buildIfModel(
    { name: 'then', node: [node('NotARealOp', ['input'], ['then_out'])], output: [valueInfo('then_out', DataType.FLOAT)] },
    { name: 'else', node: [node('Identity', ['input'], ['else_out'])], output: [valueInfo('else_out', DataType.FLOAT)] },
  );
}

/**
 * An initializer whose bytes "live" in another file (`location` may point anywhere, e.g.
 * `../../etc/passwd`): the single-file upload must refuse it.
 */
export function buildExternalDataModel(location = '../../etc/passwd'): Uint8Array {
  return buildModel({
    graph: {
      name: 'external_data',
      node: [node('Add', ['input', 'bias'], ['output'])],
      initializer: [externalTensor('bias', [2], location)],
      input: [valueInfo('input', DataType.FLOAT, ['batch', 2])],
      output: [valueInfo('output', DataType.FLOAT, ['batch', 2])],
    },
  });
}

/**
 * The external tensor is the default value of a local function's attribute (FunctionProto
 * attribute_proto), read by a Constant in the body through `ref_attr_name`. onnxruntime inlines
 * the function and loads the bytes relative to its working directory — a model loaded from bytes
 * has no path, yet this one reads a file: `[bytes]` uint8 from `location`, answered as the output
 * `output` (input `input` float32 `[1]`, unused).
 */
export function buildFunctionDefaultExternalDataModel(location: string, bytes = 2): Uint8Array {
  const domain = 'local.fn';
  const weights: Tensor = {
    name: 'weights',
    dims: [bytes],
    data_type: DataType.UINT8,
    data_location: DataLocation.EXTERNAL,
    external_data: [
      { key: 'location', value: location },
      { key: 'length', value: String(bytes) },
    ],
  };
  return encodeModel({
    ir_version: 8,
    opset_import: [{ domain: '', version: 17 }, { domain, version: 1 }],
    producer_name: 'tessera-fixtures',
    graph: {
      name: 'function_default',
      node: [node('ReadWeights', ['input'], ['output'], { domain })],
      input: [valueInfo('input', DataType.FLOAT, [1])],
      output: [valueInfo('output', DataType.UINT8)],
    },
    functions: [
      {
        name: 'ReadWeights',
        domain,
        input: ['x'],
        output: ['y'],
        opset_import: [{ domain: '', version: 17 }],
        attribute_proto: [{ ...attribute.tensor('weights', weights) }],
        node: [node('Constant', [], ['y'], { attributes: [{ name: 'value', type: AttributeType.TENSOR, ref_attr_name: 'weights' }] })],
      },
    ],
  });
}

/**
 * A valid Relu model (`input` → `output`, `[batch, 2]`) with `count` graph outputs in all: the
 * others are one-value weights passed through (w1, w2, …), so every answer carries `count` tensors.
 */
export function buildModelWithOutputs(count: number): Uint8Array {
  const weights = Array.from({ length: Math.max(0, count - 1) }, (_, i) => `w${i + 1}`);
  return buildModel({
    graph: {
      name: 'many_outputs',
      node: [node('Relu', ['input'], ['output'])],
      initializer: weights.map((name) => floatTensor(name, [1], [1])),
      input: [valueInfo('input', DataType.FLOAT, ['batch', 2])],
      output: [valueInfo('output', DataType.FLOAT, ['batch', 2]), ...weights.map((name) => valueInfo(name, DataType.FLOAT, [1]))],
    },
  });
}

/**
 * A valid, tiny model whose answer has a rank the caller chooses at run time: `input` float32 `[1]`
 * reshaped to `rank` dimensions of 1 (ConstantOfShape of the int64 `[1]` input `rank`), answered
 * `outputs` times (`output0`, `output1`, …). One value, any number of dimensions: what the value
 * limit of an answer does not see.
 */
export function buildRankOutputModel(outputs = 1): Uint8Array {
  const names = Array.from({ length: outputs }, (_, i) => `output${i}`);
  return buildModel({
    graph: {
      name: 'rank_output',
      node: [
        node('ConstantOfShape', ['rank'], ['ones'], { attributes: [attribute.tensor('value', int64Tensor('one', [1], [1]))] }),
        node('Reshape', ['input', 'ones'], ['reshaped']),
        ...names.map((name) => node('Identity', ['reshaped'], [name])),
      ],
      input: [valueInfo('input', DataType.FLOAT, [1]), valueInfo('rank', DataType.INT64, [1])],
      output: names.map((name) => valueInfo(name, DataType.FLOAT)),
    },
  });
}

/** The external tensor is a Constant inside an If branch, so only a recursive walk finds it. */
export function buildNestedExternalDataModel(location = 'weights.bin'): Uint8Array {
  return buildIfModel(
    {
      name: 'then',
      node: [
        node('Constant', [], ['offset'], { attributes: [attribute.tensor('value', externalTensor('offset', [2], location))] }),
        node('Add', ['input', 'offset'], ['then_out']),
      ],
      output: [valueInfo('then_out', DataType.FLOAT)],
    },
    { name: 'else', node: [node('Identity', ['input'], ['else_out'])], output: [valueInfo('else_out', DataType.FLOAT)] },
  );
}

/** A valid If model with two supported branches (adds 1 on the then-branch). */
export function buildValidIfModel(): Uint8Array {
  return buildIfModel(
    {
      name: 'then',
      initializer: [floatTensor('one', [1], [1])],
      node: [node('Add', ['input', 'one'], ['then_out'])],
      output: [valueInfo('then_out', DataType.FLOAT)],
    },
    { name: 'else', node: [node('Identity', ['input'], ['else_out'])], output: [valueInfo('else_out', DataType.FLOAT)] },
  );
}

/**
 * A scikit-learn style ai.onnx.ml LinearRegressor: `y = x · coefficients + intercept`,
 * input `[batch, coefficients.length]` → output `[batch, 1]`.
 */
export function buildMlLinearRegressor(coefficients: number[], intercept: number): Uint8Array {
  return buildModel({
    opsets: [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 3 }],
    graph: {
      name: 'ml_linear_regressor',
      node: [
        node('LinearRegressor', ['input'], ['output'], {
          domain: 'ai.onnx.ml',
          attributes: [
            { name: 'coefficients', type: 6, floats: coefficients },
            { name: 'intercepts', type: 6, floats: [intercept] },
            attribute.int('targets', 1),
          ],
        }),
      ],
      input: [valueInfo('input', DataType.FLOAT, ['batch', coefficients.length])],
      output: [valueInfo('output', DataType.FLOAT, ['batch', 1])],
    },
  });
}

function buildIfModel(thenBranch: Graph, elseBranch: Graph): Uint8Array {
  return buildModel({
    graph: {
      name: 'if_model',
      node: [
        node('If', ['condition'], ['output'], {
          attributes: [attribute.graph('then_branch', thenBranch), attribute.graph('else_branch', elseBranch)],
        }),
      ],
      initializer: [boolTensor('condition', [], [true])],
      input: [valueInfo('input', DataType.FLOAT, ['batch', 2])],
      output: [valueInfo('output', DataType.FLOAT, ['batch', 2])],
    },
  });
}

function externalTensor(name: string, dims: number[], location: string): Tensor {
  return {
    name,
    dims,
    data_type: DataType.FLOAT,
    data_location: DataLocation.EXTERNAL,
    external_data: [
      { key: 'location', value: location },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(4 * dims.reduce((a, b) => a * b, 1)) },
    ],
  };
}

/**
 * A valid model whose file is `floats` × 4 bytes of float32 weights (zeros, as raw data: built in
 * no time at any size): `out = sum(x + w)` over `[1, 1]` → `[1, 1]`, i.e. `floats × x`.
 * What a test needs to move a large file to an inference process.
 */
export function buildLargeWeightsModel(floats: number): Uint8Array {
  if (!Number.isSafeInteger(floats) || floats < 1) throw new RangeError('floats must be a positive integer');
  return buildModel({
    graph: {
      name: 'large_weights',
      node: [node('Add', ['x', 'w'], ['sum'], { name: 'add' }), node('ReduceSum', ['sum'], ['out'], { name: 'reduce' })],
      initializer: [{ name: 'w', dims: [1, floats], data_type: DataType.FLOAT, raw_data: new Uint8Array(floats * 4) }],
      input: [valueInfo('x', DataType.FLOAT, [1, 1])],
      output: [valueInfo('out', DataType.FLOAT, [1, 1])],
    },
  });
}
