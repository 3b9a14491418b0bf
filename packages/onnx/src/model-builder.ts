import {
  AttributeType,
  DataType,
  encodeModel,
  type Attribute,
  type Graph,
  type Node,
  type OperatorSetId,
  type Tensor,
  type ValueInfo,
} from './onnx-schema';

/**
 * IR 8 + opset 17: well inside what onnxruntime-node 1.30 loads (IR 3..13, opset 7..26, see
 * supported-operators.ts), and old enough that any ONNX tool reading our files understands them.
 */
export const BUILDER_IR_VERSION = 8;
export const BUILDER_OPSET = 17;
export const BUILDER_PRODUCER = 'tessera-onnx-builder';
export const BUILDER_PRODUCER_VERSION = '0.1.0';

/** A dimension: a fixed size, or a symbolic name (`'batch'`) for a size known only at run time. */
export type Dimension = number | string;

export function tensorType(elemType: number, shape: Dimension[] | undefined): ValueInfo['type'] {
  if (shape === undefined) return { tensor_type: { elem_type: elemType } };
  return {
    tensor_type: {
      elem_type: elemType,
      shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
    },
  };
}

/** A graph input/output; `shape` undefined means "rank unknown" (used inside Loop bodies). */
export function valueInfo(name: string, elemType: number, shape?: Dimension[]): ValueInfo {
  return { name, type: tensorType(elemType, shape) };
}

export function floatTensor(name: string, dims: number[], values: readonly number[]): Tensor {
  assertElementCount(name, dims, values.length);
  assertFinite(name, values);
  return { name, dims, data_type: DataType.FLOAT, float_data: [...values] };
}

export function int64Tensor(name: string, dims: number[], values: readonly number[]): Tensor {
  assertElementCount(name, dims, values.length);
  return { name, dims, data_type: DataType.INT64, int64_data: [...values] };
}

export function boolTensor(name: string, dims: number[], values: readonly boolean[]): Tensor {
  assertElementCount(name, dims, values.length);
  // ONNX stores bool tensors in int32_data (one element per value).
  return { name, dims, data_type: DataType.BOOL, int32_data: values.map((v) => (v ? 1 : 0)) };
}

export const attribute = {
  int: (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i }),
  float: (name: string, f: number): Attribute => ({ name, type: AttributeType.FLOAT, f }),
  ints: (name: string, ints: number[]): Attribute => ({ name, type: AttributeType.INTS, ints }),
  graph: (name: string, g: Graph): Attribute => ({ name, type: AttributeType.GRAPH, g }),
  tensor: (name: string, t: Tensor): Attribute => ({ name, type: AttributeType.TENSOR, t }),
};

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  options: { name?: string; domain?: string; attributes?: Attribute[] } = {},
): Node {
  return {
    op_type: opType,
    input: inputs,
    output: outputs,
    name: options.name ?? `${opType}_${outputs[0] ?? 'out'}`,
    ...(options.domain !== undefined ? { domain: options.domain } : {}),
    ...(options.attributes ? { attribute: options.attributes } : {}),
  };
}

export interface ModelDefinition {
  graph: Graph;
  opsets?: OperatorSetId[];
  irVersion?: number;
  docString?: string;
}

/** Wraps a graph into a ModelProto with our producer stamp and serializes it. */
export function buildModel(definition: ModelDefinition): Uint8Array {
  return encodeModel({
    ir_version: definition.irVersion ?? BUILDER_IR_VERSION,
    opset_import: definition.opsets ?? [{ domain: '', version: BUILDER_OPSET }],
    producer_name: BUILDER_PRODUCER,
    producer_version: BUILDER_PRODUCER_VERSION,
    ...(definition.docString ? { doc_string: definition.docString } : {}),
    graph: definition.graph,
  });
}

function assertElementCount(name: string, dims: number[], count: number): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== count) {
    throw new RangeError(`tensor ${name}: shape [${dims.join(', ')}] needs ${expected} values, got ${count}`);
  }
}

// Bound once: a global read per value costs many times the check itself in a vm context (as the
// platform runs in-process under Jest), and a model's weights are millions of values.
const isFiniteNumber = Number.isFinite;

function assertFinite(name: string, values: readonly number[]): void {
  for (let index = 0; index < values.length; index++) {
    if (!isFiniteNumber(values[index])) throw new RangeError(`tensor ${name}: values must be finite numbers`);
  }
}
