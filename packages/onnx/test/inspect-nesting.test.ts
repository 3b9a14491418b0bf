/** @jest-environment ./packages/onnx/test/onnxruntime-environment.ts */
import { inspectOnnxModel, OnnxValidationError } from '../src';
import { attribute, boolTensor, buildModel, node, valueInfo } from '../src/model-builder';
import { DataType, encodeModel, type Graph } from '../src/onnx-schema';
import { MAX_SUBGRAPH_DEPTH } from '../src/model-graph-checks';
import { expectClose, runFloatModel } from './run-model';

const io = {
  input: [valueInfo('input', DataType.FLOAT, ['batch', 2])],
  output: [valueInfo('output', DataType.FLOAT, ['batch', 2])],
};

function reasonOf(bytes: Uint8Array): string {
  try {
    inspectOnnxModel(bytes);
    return 'ACCEPTED';
  } catch (error) {
    if (error instanceof OnnxValidationError) return error.reason;
    throw error;
  }
}

/** `depth` nested If nodes, each then-branch holding the next level (else is a plain Identity); the innermost op is `innermostOp`. */
function nestedIfGraph(depth: number, innermostOp = 'Identity'): Graph {
  const identity: Graph = { name: 'else', node: [node('Identity', ['input'], ['out'])], output: [valueInfo('out', DataType.FLOAT)] };
  let graph: Graph = { name: 'leaf', node: [node(innermostOp, ['input'], ['out'])], output: [valueInfo('out', DataType.FLOAT)] };
  for (let level = 0; level < depth; level++) {
    graph = {
      name: `level${level}`,
      initializer: [boolTensor(`cond${level}`, [], [true])],
      node: [node('If', [`cond${level}`], ['out'], { attributes: [attribute.graph('then_branch', graph), attribute.graph('else_branch', identity)] })],
      output: [valueInfo('out', DataType.FLOAT)],
    };
  }
  return graph;
}

describe('inspectOnnxModel: nested graphs and local functions', () => {
  it('walks subgraphs at any depth up to the limit, and finds an unsupported operator at the bottom', () => {
    const model = (depth: number, op?: string) =>
      buildModel({ graph: { ...nestedIfGraph(depth, op), name: 'main', output: [valueInfo('out', DataType.FLOAT, ['batch', 2])], input: io.input } });
    expect(reasonOf(model(5))).toBe('ACCEPTED');
    expect(reasonOf(model(5, 'NotARealOp'))).toBe('UNSUPPORTED_OPERATOR');
    // 30 levels is as deep as protobuf's 100-message recursion limit allows us to even write.
    expect(MAX_SUBGRAPH_DEPTH).toBeGreaterThanOrEqual(30);
    expect(reasonOf(model(30))).toBe('ACCEPTED');
    expect(reasonOf(model(30, 'NotARealOp'))).toBe('UNSUPPORTED_OPERATOR');
  });

  it('refuses a crafted file nesting thousands of subgraphs as NOT_ONNX (no stack overflow escapes)', () => {
    // Built at the wire level: GraphProto.node(1) > NodeProto.attribute(5) > AttributeProto.g(6) > GraphProto ...
    const field = (fieldNumber: number, payload: Buffer): Buffer => Buffer.concat([varint(fieldNumber * 8 + 2), varint(payload.length), payload]);
    let graph: Buffer = Buffer.alloc(0);
    for (let level = 0; level < 5000; level++) graph = field(1, field(5, field(6, graph)));
    const header = Buffer.from(encodeModel({ ir_version: 8, opset_import: [{ domain: '', version: 17 }] }));
    expect(reasonOf(Buffer.concat([header, field(7, graph)]))).toBe('NOT_ONNX');
  });

  it('accepts a model-local function whose body uses supported operators, and onnxruntime runs it', async () => {
    const model = buildModel({
      opsets: [{ domain: '', version: 17 }, { domain: 'tessera.local', version: 1 }],
      graph: { name: 'with_function', node: [node('Double', ['input'], ['output'], { domain: 'tessera.local' })], ...io },
    });
    const withFunction = addFunction(model, 'Add');
    const info = inspectOnnxModel(withFunction);
    expect(info.operators).toEqual(['Add', 'tessera.local:Double']);
    const { values } = await runFloatModel(withFunction, [[1.5, -2]]);
    expectClose(values, [[3, -4]]);
  });

  it('refuses a local function whose body uses an unsupported operator', () => {
    const model = buildModel({
      opsets: [{ domain: '', version: 17 }, { domain: 'tessera.local', version: 1 }],
      graph: { name: 'with_function', node: [node('Double', ['input'], ['output'], { domain: 'tessera.local' })], ...io },
    });
    expect(reasonOf(addFunction(model, 'NotARealOp'))).toBe('UNSUPPORTED_OPERATOR');
  });
});

/** Adds FunctionProto `tessera.local.Double(x) = op(x, x)` (IR 8 allows model-local functions). */
function addFunction(model: Uint8Array, op: string): Uint8Array {
  const fn = encodeModel({
    functions: [
      {
        name: 'Double',
        domain: 'tessera.local',
        input: ['x'],
        output: ['y'],
        node: [node(op, ['x', 'x'], ['y'])],
        opset_import: [{ domain: '', version: 17 }],
      },
    ],
  });
  // Concatenating serialized messages merges them (repeated fields append): the model plus its function.
  return Buffer.concat([Buffer.from(model), Buffer.from(fn)]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
