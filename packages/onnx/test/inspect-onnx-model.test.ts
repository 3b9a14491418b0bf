/** @jest-environment ./packages/onnx/test/onnxruntime-environment.ts */
import {
  buildLinearRegression,
  buildLogisticRegression,
  buildMlp,
  inspectOnnxModel,
  MAX_GRAPH_OUTPUTS,
  OnnxValidationError,
  onnxFixtures,
  type OnnxValidationReason,
} from '../src';
import { buildModel, floatTensor, node, valueInfo } from '../src/model-builder';
import * as ort from 'onnxruntime-node';
import { AttributeType, DataType, decodeModel, encodeModel } from '../src/onnx-schema';
import { createSession } from './run-model';

function rejectionOf(bytes: Uint8Array): OnnxValidationError {
  try {
    inspectOnnxModel(bytes);
  } catch (error) {
    if (error instanceof OnnxValidationError) return error;
    throw error;
  }
  throw new Error('inspectOnnxModel accepted the model');
}

function expectRejected(bytes: Uint8Array, reason: OnnxValidationReason, message?: RegExp): void {
  const error = rejectionOf(bytes);
  expect(error.reason).toBe(reason);
  if (message) expect(error.message).toMatch(message);
}

/** Every refusal should also be something onnxruntime itself cannot load: proves the check is not arbitrary. */
async function expectRuntimeRefuses(bytes: Uint8Array): Promise<void> {
  await expect(createSession(bytes)).rejects.toThrow();
}

const relu = valueInfo('input', DataType.FLOAT, ['batch', 2]);
const reluOut = valueInfo('output', DataType.FLOAT, ['batch', 2]);

describe('inspectOnnxModel: signatures', () => {
  it('reports IR version, opsets, operators, producer and float32 signatures with the symbolic batch dim', () => {
    const info = inspectOnnxModel(buildLogisticRegression({ weights: [1, 2, 3], bias: 0 }));
    expect(info).toEqual({
      irVersion: 8,
      opsets: [{ domain: 'ai.onnx', version: 17 }],
      operators: ['Gemm', 'Sigmoid'],
      inputs: [{ name: 'input', elementType: 'float32', shape: ['batch', 3], shapeKnown: true }],
      outputs: [{ name: 'output', elementType: 'float32', shape: ['batch', 1], shapeKnown: true }],
      producer: 'tessera-onnx-builder 0.1.0',
    });
  });

  it('agrees with the signature onnxruntime reports for the same bytes', async () => {
    const model = buildMlp({
      layers: [{ weights: [[1, 2, 3], [4, 5, 6]], bias: [0, 0, 0], activation: 'tanh' }],
      inputName: 'x',
      outputName: 'y',
    });
    const info = inspectOnnxModel(model);
    const session = await createSession(model);
    expect(info.inputs.map((i) => i.name)).toEqual(session.inputNames);
    expect(info.outputs.map((o) => o.name)).toEqual(session.outputNames);
    const ortInput = session.inputMetadata[0]!;
    expect(ortInput.isTensor && ortInput.type).toBe(info.inputs[0]!.elementType);
    expect(ortInput.isTensor && ortInput.shape).toEqual(info.inputs[0]!.shape);
    await session.release();
  });

  it('excludes initializers from inputs (IR 3 models list weights as graph inputs), reports fixed, symbolic and unknown dims', () => {
    const model = buildModel({
      irVersion: 3,
      opsets: [{ domain: '', version: 9 }],
      graph: {
        name: 'ir3',
        node: [node('Add', ['x', 'w'], ['y'])],
        initializer: [floatTensor('w', [3], [1, 2, 3])],
        input: [
          { name: 'x', type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_param: 'n' }, {}, { dim_value: 3 }] } } } },
          valueInfo('w', DataType.FLOAT, [3]),
        ],
        output: [valueInfo('y', DataType.FLOAT)],
      },
    });
    const info = inspectOnnxModel(model);
    expect(info.inputs).toEqual([{ name: 'x', elementType: 'float32', shape: ['n', null, 3], shapeKnown: true }]);
    expect(info.outputs).toEqual([{ name: 'y', elementType: 'float32', shape: [], shapeKnown: false }]);
  });

  it('names element types the way onnxruntime-node does (int64, float64, bool, ...)', () => {
    const model = buildModel({
      graph: {
        name: 'types',
        node: [node('Cast', ['ids'], ['as_double'], { attributes: [{ name: 'to', type: 2, i: DataType.DOUBLE }] }), node('Not', ['flag'], ['negated'])],
        input: [valueInfo('ids', DataType.INT64, ['batch']), valueInfo('flag', DataType.BOOL, [1])],
        output: [valueInfo('as_double', DataType.DOUBLE, ['batch']), valueInfo('negated', DataType.BOOL, [1])],
      },
    });
    const info = inspectOnnxModel(model);
    expect(info.inputs.map((i) => i.elementType)).toEqual(['int64', 'bool']);
    expect(info.outputs.map((o) => o.elementType)).toEqual(['float64', 'bool']);
    expect(info.operators).toEqual(['Cast', 'Not']);
  });

  it('reports ai.onnx.ml operators with their domain', () => {
    const info = inspectOnnxModel(onnxFixtures.buildMlLinearRegressor([1, 2], 0));
    expect(info.operators).toEqual(['ai.onnx.ml:LinearRegressor']);
    expect(info.opsets).toEqual([
      { domain: 'ai.onnx', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ]);
  });

  it('a valid model round-trips: decode -> encode -> same bytes, same signature, still loads', async () => {
    const model = buildLinearRegression({ weights: [0.1, 0.2], bias: 3 });
    const again = encodeModel(decodeModel(model));
    expect(Buffer.from(again).equals(Buffer.from(model))).toBe(true);
    expect(inspectOnnxModel(again)).toEqual(inspectOnnxModel(model));
    const session = await createSession(again);
    await session.release();
  });

  it('accepts every model the builders and valid fixtures produce, and each one loads in onnxruntime', async () => {
    const models = [
      buildLinearRegression({ weights: [1], bias: 0 }),
      buildLogisticRegression({ weights: [1, 1], bias: 0 }),
      buildMlp({ layers: [{ weights: [[1]], bias: [0], activation: 'sigmoid' }] }),
      onnxFixtures.buildSlowModel(),
      onnxFixtures.buildFailingModel(),
      onnxFixtures.buildValidIfModel(),
      onnxFixtures.buildMlLinearRegressor([1], 0),
      onnxFixtures.buildModelWithOpset(7),
      onnxFixtures.buildModelWithOpset(26),
      onnxFixtures.buildModelWithIrVersion(13),
    ];
    for (const model of models) {
      expect(() => inspectOnnxModel(model)).not.toThrow();
      const session = await createSession(model);
      await session.release();
    }
  });
});

describe('inspectOnnxModel: rejections', () => {
  const valid = buildMlp({
    layers: [
      { weights: [[1, 2], [3, 4]], bias: [0, 1], activation: 'relu' },
      { weights: [[1], [2]], bias: [0], activation: 'none' },
    ],
  });

  it('EMPTY: a 0-byte file', async () => {
    expectRejected(new Uint8Array(0), 'EMPTY');
    await expectRuntimeRefuses(new Uint8Array(0));
  });

  it('NOT_ONNX: a text file renamed .onnx, JSON, CSV, random bytes, a PNG header', async () => {
    const files = [
      new TextEncoder().encode('This is definitely not a neural network.\nJust some text.\n'),
      new TextEncoder().encode(JSON.stringify({ ir_version: 8, graph: { node: [] } })),
      new TextEncoder().encode('a,b,c\n1,2,3\n4,5,6\n'),
      Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251),
    ];
    for (const file of files) {
      expectRejected(file, 'NOT_ONNX');
      await expectRuntimeRefuses(file);
    }
  });

  it('NOT_ONNX: protobuf that is not a ModelProto (a bare GraphProto) and a ModelProto with neither IR version nor opsets', () => {
    const graphOnly = new Uint8Array([0x0a, 0x02, 0x41, 0x42]); // field 1 as length-delimited: wrong wire type for ir_version
    expectRejected(graphOnly, 'NOT_ONNX');
    expectRejected(encodeModel({ producer_name: 'nobody' }), 'NOT_ONNX', /no IR version/);
    expectRejected(encodeModel({ ir_version: 8, producer_name: 'nobody' }), 'NOT_ONNX', /no opset imports/);
  });

  it('TRUNCATED: a valid model cut anywhere inside its graph', async () => {
    for (const length of [3, 20, Math.floor(valid.length / 2), valid.length - 1]) {
      const cut = valid.slice(0, length);
      expectRejected(cut, 'TRUNCATED', new RegExp(`${length} bytes`));
      await expectRuntimeRefuses(cut);
    }
  });

  it('NO_GRAPH: a ModelProto whose graph is missing, has no nodes, or has nothing to feed', () => {
    expectRejected(encodeModel({ ir_version: 8, opset_import: [{ domain: '', version: 17 }] }), 'NO_GRAPH');
    expectRejected(
      buildModel({ graph: { name: 'empty', input: [relu], output: [reluOut] } }),
      'NO_GRAPH',
      /no graph nodes/,
    );
    expectRejected(
      buildModel({
        graph: {
          name: 'constant_only',
          node: [node('Identity', ['c'], ['output'])],
          initializer: [floatTensor('c', [1], [1])],
          output: [valueInfo('output', DataType.FLOAT, [1])],
        },
      }),
      'NO_GRAPH',
      /no inputs/,
    );
  });

  it('UNSUPPORTED_IR_VERSION: IR versions onnxruntime 1.30 cannot load', async () => {
    expectRejected(onnxFixtures.buildModelWithIrVersion(14), 'UNSUPPORTED_IR_VERSION', /3\.\.13/);
    await expectRuntimeRefuses(onnxFixtures.buildModelWithIrVersion(14));
    expectRejected(onnxFixtures.buildModelWithIrVersion(2), 'UNSUPPORTED_IR_VERSION');
  });

  it('UNSUPPORTED_OPSET: default-domain opsets below 7 or above 26, ai.onnx.ml above 5', async () => {
    for (const version of [1, 5, 6, 27, 99]) {
      expectRejected(onnxFixtures.buildModelWithOpset(version), 'UNSUPPORTED_OPSET', /7\.\.26/);
    }
    for (const version of [1, 5, 27]) await expectRuntimeRefuses(onnxFixtures.buildModelWithOpset(version));
    const mlTooNew = buildModel({
      opsets: [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 6 }],
      graph: { name: 'ml6', node: [node('Relu', ['input'], ['output'])], input: [relu], output: [reluOut] },
    });
    expectRejected(mlTooNew, 'UNSUPPORTED_OPSET', /ai\.onnx\.ml/);
    await expectRuntimeRefuses(mlTooNew);
  });

  // Stricter than onnxruntime (which silently picks its newest ai.onnx.ml opset): the ONNX spec requires the
  // import, and without it the operator's version — hence its semantics — is undefined.
  it('UNSUPPORTED_OPSET: a node whose domain the model does not import', () => {
    const model = buildModel({
      graph: {
        name: 'no_ml_import',
        node: [node('Normalizer', ['input'], ['output'], { domain: 'ai.onnx.ml', attributes: [{ name: 'norm', type: 3, s: new TextEncoder().encode('L2') }] })],
        input: [relu],
        output: [reluOut],
      },
    });
    expectRejected(model, 'UNSUPPORTED_OPSET', /does not import/);
  });

  it('UNSUPPORTED_OPERATOR: an operator onnxruntime does not have, at top level or inside a subgraph', async () => {
    const cases = [
      onnxFixtures.buildUnsupportedOperatorModel(),
      onnxFixtures.buildUnsupportedOperatorModel('Convolution2000'),
      onnxFixtures.buildNestedUnsupportedOperatorModel(),
    ];
    for (const model of cases) {
      expectRejected(model, 'UNSUPPORTED_OPERATOR', /is not supported by onnxruntime/);
      await expectRuntimeRefuses(model);
    }
    expect(rejectionOf(onnxFixtures.buildUnsupportedOperatorModel()).message).toContain('NotARealOp');
  });

  it('UNSUPPORTED_OPERATOR: an operator from an unknown domain, even when the model imports it', async () => {
    const model = onnxFixtures.buildUnknownDomainModel();
    expectRejected(model, 'UNSUPPORTED_OPERATOR', /domain "com\.example\.custom" is not supported/);
    await expectRuntimeRefuses(model);
  });

  it('EXTERNAL_DATA: an initializer stored in another file, at top level or as a Constant inside a subgraph', async () => {
    expectRejected(onnxFixtures.buildExternalDataModel(), 'EXTERNAL_DATA', /"bias".*\.\.\/\.\.\/etc\/passwd/);
    expectRejected(onnxFixtures.buildNestedExternalDataModel(), 'EXTERNAL_DATA', /"offset".*then_branch/);
    await expectRuntimeRefuses(onnxFixtures.buildExternalDataModel());
  });

  it('EXTERNAL_DATA: external_data entries without the data_location flag are refused too', () => {
    const model = buildModel({
      graph: {
        name: 'sneaky',
        node: [node('Add', ['input', 'bias'], ['output'])],
        initializer: [{ name: 'bias', dims: [2], data_type: DataType.FLOAT, external_data: [{ key: 'location', value: '/etc/shadow' }] }],
        input: [relu],
        output: [reluOut],
      },
    });
    expectRejected(model, 'EXTERNAL_DATA', /\/etc\/shadow/);
  });

  it('EXTERNAL_DATA: a local function\'s default attribute value (attribute_proto) stored in another file', async () => {
    // The default is what a `ref_attr_name` in the body reads when the caller leaves the attribute out:
    // onnxruntime resolves the location against its working directory (the service's, with .tessera/
    // in it) and a predict answers the file's bytes. Here: the first bytes of this repo's package.json.
    const model = onnxFixtures.buildFunctionDefaultExternalDataModel('package.json');
    const session = await createSession(model);
    const read = await session.run({ input: new ort.Tensor('float32', new Float32Array([0]), [1]) });
    expect(Buffer.from(read['output']!.data as Uint8Array).toString()).toBe('{\n');
    expectRejected(model, 'EXTERNAL_DATA', /"weights" in function ReadWeights.*location "package\.json"/);
    // A graph given as a default is walked like any subgraph (its tensors and operators).
    const graphDefault = encodeModel({
      ...decodeModel(buildModel({ graph: { name: 'plain', node: [node('Relu', ['input'], ['output'])], input: [relu], output: [reluOut] } })),
      opset_import: [{ domain: '', version: 17 }],
      functions: [
        {
          name: 'WithBranch',
          domain: 'local.fn',
          input: ['x'],
          output: ['y'],
          attribute_proto: [{ name: 'then_branch', type: AttributeType.GRAPH, g: { name: 'hidden', node: [node('NotARealOp', [], ['z'])], output: [valueInfo('z', DataType.FLOAT)] } }],
          node: [node('Identity', ['x'], ['y'])],
        },
      ],
    } as Parameters<typeof encodeModel>[0]);
    expectRejected(graphDefault, 'UNSUPPORTED_OPERATOR', /NotARealOp/);
  });

  it('UNSUPPORTED_TYPE: inputs onnxruntime-node cannot feed (a sequence, bfloat16) or with no type at all', () => {
    const withInput = (input: Parameters<typeof buildModel>[0]['graph']['input']) =>
      buildModel({ graph: { name: 'typed', node: [node('Identity', ['input'], ['output'])], input, output: [reluOut] } });
    expectRejected(withInput([{ name: 'input', type: { sequence_type: { elem_type: { tensor_type: { elem_type: DataType.FLOAT } } } } }]), 'UNSUPPORTED_TYPE', /sequence/);
    expectRejected(withInput([valueInfo('input', DataType.BFLOAT16, ['batch', 2])]), 'UNSUPPORTED_TYPE', /bfloat16/);
    expectRejected(withInput([{ name: 'input' }]), 'UNSUPPORTED_TYPE', /no usable tensor element type/);
  });

  it('INVALID_GRAPH: a node input nothing defines, an output no node produces, a cycle, a name defined twice', async () => {
    const cases: Array<[onnxFixtures.BrokenGraphKind, RegExp]> = [
      ['undefined-node-input', /reads "nope", which is not a graph input, initializer or output of a node/],
      ['unproduced-output', /graph output "output" is not produced by any node/],
      ['cycle', /has a cycle/],
      ['duplicate-input', /declares input "input" twice/],
    ];
    for (const [kind, message] of cases) {
      expectRejected(onnxFixtures.buildBrokenGraphModel(kind), 'INVALID_GRAPH', message);
      await expectRuntimeRefuses(onnxFixtures.buildBrokenGraphModel(kind));
    }
    const graph = (nodes: ReturnType<typeof node>[], extra: { initializer?: ReturnType<typeof floatTensor>[] } = {}) =>
      buildModel({ graph: { name: 'wiring', node: nodes, ...extra, input: [relu], output: [reluOut] } });
    const twoWriters = graph([node('Relu', ['input'], ['output']), node('Neg', ['input'], ['output'])]);
    expectRejected(twoWriters, 'INVALID_GRAPH', /"output" is written by two nodes/);
    await expectRuntimeRefuses(twoWriters);
    const overwritesWeight = graph([node('Relu', ['input'], ['w']), node('Add', ['w', 'input'], ['output'])], { initializer: [floatTensor('w', [1], [1])] });
    expectRejected(overwritesWeight, 'INVALID_GRAPH', /writes "w", which is already a graph input or initializer/);
    await expectRuntimeRefuses(overwritesWeight);
  });

  it('INVALID_GRAPH is not stricter than onnxruntime on what it accepts: nodes out of order, a graph input or weight passed through as an output', async () => {
    const models = [
      buildModel({ graph: { name: 'unsorted', node: [node('Relu', ['a'], ['output']), node('Neg', ['input'], ['a'])], input: [relu], output: [reluOut] } }),
      buildModel({
        graph: {
          name: 'passthrough',
          node: [node('Relu', ['input'], ['output'])],
          initializer: [floatTensor('w', [1], [1])],
          input: [relu],
          output: [reluOut, valueInfo('input', DataType.FLOAT, ['batch', 2]), valueInfo('w', DataType.FLOAT, [1])],
        },
      }),
    ];
    for (const model of models) {
      expect(() => inspectOnnxModel(model)).not.toThrow();
      await (await createSession(model)).release();
    }
  });

  it('a graph that is well wired but mistyped (a MatMul of incompatible shapes) passes these checks; only onnxruntime sees it', async () => {
    const model = onnxFixtures.buildBrokenGraphModel('incompatible-matmul');
    expect(() => inspectOnnxModel(model)).not.toThrow();
    await expect(createSession(model)).rejects.toThrow(/Incompatible dimensions/);
  });

  it('INVALID_DIMENSION: a fixed input size outside 1..2^31-1 (0, negative, 2^31, 2^62), an output size below 0', () => {
    for (const size of [0, -3, 2 ** 31, 4611686018427387904]) {
      expectRejected(onnxFixtures.buildModelWithFixedDims([size, 2]), 'INVALID_DIMENSION', /input "input" declares dimension 0 as .*1\.\.2147483647/);
    }
    const negativeOutput = buildModel({
      graph: { name: 'neg_out', node: [node('Relu', ['input'], ['output'])], input: [relu], output: [valueInfo('output', DataType.FLOAT, [-1, 2])] },
    });
    expectRejected(negativeOutput, 'INVALID_DIMENSION', /output "output" declares dimension 0 as -1/);
    expect(inspectOnnxModel(onnxFixtures.buildModelWithFixedDims([2 ** 31 - 1, 2])).inputs[0]!.shape).toEqual([2 ** 31 - 1, 2]);
    const emptyOutput = buildModel({
      graph: { name: 'empty_out', node: [node('Relu', ['input'], ['output'])], input: [relu], output: [valueInfo('output', DataType.FLOAT, [0, 2])] },
    });
    expect(inspectOnnxModel(emptyOutput).outputs[0]!.shape).toEqual([0, 2]);
  });

  it('TOO_MANY_OUTPUTS: more than MAX_GRAPH_OUTPUTS graph outputs (each is a tensor of its own in every answer)', () => {
    expect(inspectOnnxModel(onnxFixtures.buildModelWithOutputs(MAX_GRAPH_OUTPUTS)).outputs).toHaveLength(MAX_GRAPH_OUTPUTS);
    expectRejected(onnxFixtures.buildModelWithOutputs(MAX_GRAPH_OUTPUTS + 1), 'TOO_MANY_OUTPUTS', /declares 1025 outputs; a model may have at most 1024/);
  });

  it('is a typed error carrying its reason', () => {
    const error = rejectionOf(new Uint8Array(0));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('OnnxValidationError');
    expect(error.reason).toBe('EMPTY');
  });
});
