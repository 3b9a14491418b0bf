import { errors } from '@tessera/errors';
import type { TensorInput, TensorElementType, TensorOutputOf, TypedTensorData } from '@tessera/inference';
import type { StoredTensorSignature } from '../data/tensor-signature';
import { decodeBase64Tensor, elementBytes } from './tensor-base64';

export interface PredictTensorInput {
  name: string;
  /** Row-major values, flattened (exactly one of `data` and `dataBase64`). */
  data?: number[] | null;
  /** The same values as base64 of their little-endian bytes (see tensor-base64.ts). */
  dataBase64?: string | null;
  shape: number[];
  /** Optional: when given, it must match the model's element type for this input. */
  elementType?: string | null;
}

export interface PredictLimits {
  maxRows: number;
  maxValues: number;
}

export interface PreparedInputs {
  tensors: Record<string, TensorInput>;
  /** The first dimension of the inputs (1 for scalars): what the row limit counts. */
  rows: number;
}

/**
 * More inputs or dimensions than any model here declares: refused before any per-value work, by the
 * predict query and the predict route alike.
 */
export const maxPredictInputs = 64;
export const maxPredictRank = 16;

const sendable: readonly TensorElementType[] = ['float32', 'float64', 'int32', 'int64', 'bool'];
const int32Range = [-(2 ** 31), 2 ** 31 - 1] as const;

const fail = (input: string, message: string) => errors.badInput(`input ${JSON.stringify(input)}: ${message}`, { field: 'inputs', input });

function describeShape(shape: Array<number | string | null>): string {
  return `[${shape.map((dim) => (dim === null ? '?' : String(dim))).join(', ')}]`;
}

/**
 * Checks a predict call's tensors against the version's input signature and turns them into
 * typed arrays for onnxruntime. Every refusal is BAD_USER_INPUT naming the input and the problem,
 * before anything reaches an inference process: a bad call costs the pool nothing.
 */
export function prepareInputs(signature: StoredTensorSignature[], given: PredictTensorInput[], limits: PredictLimits): PreparedInputs {
  if (given.length > maxPredictInputs) throw errors.badInput(`At most ${maxPredictInputs} inputs per call.`, { field: 'inputs' });
  for (const input of given) if (input.shape.length > maxPredictRank) throw fail(input.name, `a shape has at most ${maxPredictRank} dimensions.`);
  const expected = new Map(signature.map((tensor) => [tensor.name, tensor]));
  const seen = new Set<string>();
  for (const input of given) {
    if (seen.has(input.name)) throw fail(input.name, 'given more than once.');
    seen.add(input.name);
    if (!expected.has(input.name)) {
      throw fail(input.name, `the model has no such input; its inputs are ${signature.map((tensor) => JSON.stringify(tensor.name)).join(', ')}.`);
    }
  }
  for (const tensor of signature) if (!seen.has(tensor.name)) throw fail(tensor.name, `missing; the model needs shape ${describeShape(tensor.shape)} of ${tensor.elementType}.`);

  const symbols = new Map<string, { value: number; input: string }>();
  const tensors: Record<string, TensorInput> = {};
  let rows = 0;
  let values = 0;
  for (const input of given) {
    const tensor = expected.get(input.name)!;
    const type = tensor.elementType as TensorElementType;
    if (!sendable.includes(type)) throw fail(input.name, `the model expects element type ${tensor.elementType}, which predict cannot send (it sends ${sendable.join(', ')}).`);
    if (input.elementType !== undefined && input.elementType !== null && input.elementType !== type) {
      throw fail(input.name, `wrong element type: the model expects ${type}, not ${input.elementType}.`);
    }
    const hasList = input.data !== undefined && input.data !== null;
    const hasBase64 = input.dataBase64 !== undefined && input.dataBase64 !== null;
    if (hasList === hasBase64) throw fail(input.name, 'give exactly one of data and dataBase64.');
    checkShape(input, tensor, symbols);
    const count = input.shape.reduce((product, dim) => product * dim, 1);
    if (hasList && input.data!.length !== count) throw fail(input.name, `shape [${input.shape.join(', ')}] holds ${count} values but data has ${input.data!.length}.`);
    if (input.shape.length > 0) {
      const inputRows = input.shape[0]!;
      if (inputRows > limits.maxRows) throw fail(input.name, `${inputRows} rows is over the limit of ${limits.maxRows} rows per call.`);
      rows = Math.max(rows, inputRows);
    }
    values += count;
    if (values > limits.maxValues) throw fail(input.name, `the call sends more than ${limits.maxValues} values in total.`);
    const data = hasList ? toTypedArray(input.name, input.data!, type) : fromBase64(input.name, input.dataBase64!, input.shape, type, count);
    tensors[input.name] = { type, dims: [...input.shape], data };
  }
  return { tensors, rows: Math.max(rows, 1) };
}

function checkShape(input: PredictTensorInput, tensor: StoredTensorSignature, symbols: Map<string, { value: number; input: string }>): void {
  const shape = input.shape;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 1) throw fail(input.name, `every dimension of shape must be a positive integer, got [${shape.join(', ')}].`);
  }
  if (tensor.shapeKnown === false) return; // the model declares no shape: onnxruntime decides
  if (shape.length !== tensor.shape.length) {
    throw fail(input.name, `wrong rank: the model expects ${tensor.shape.length} dimensions ${describeShape(tensor.shape)}, got ${shape.length} ([${shape.join(', ')}]).`);
  }
  tensor.shape.forEach((dim, axis) => {
    const size = shape[axis]!;
    if (typeof dim === 'number' && dim > 0 && dim !== size) {
      throw fail(input.name, `wrong shape: dimension ${axis} must be ${dim} (model shape ${describeShape(tensor.shape)}), got ${size}.`);
    }
    if (typeof dim === 'string' && dim !== '') {
      const bound = symbols.get(dim);
      if (bound && bound.value !== size) {
        throw fail(input.name, `wrong shape: dimension ${axis} ('${dim}') is ${size} here but ${bound.value} in input ${JSON.stringify(bound.input)}.`);
      }
      symbols.set(dim, bound ?? { value: size, input: input.name });
    }
  });
}

/**
 * Binary input, held to the same rules as a list: exact length for the shape, and the values a
 * list could not carry are refused too (non-finite floats, bools other than 0/1). Integers are
 * taken as sent: every int32 bit pattern is an int32, and int64 is exact beyond 2^53 here.
 */
function fromBase64(name: string, text: string, shape: number[], type: TensorElementType, count: number): TensorInput['data'] {
  const decoded = decodeBase64Tensor(text, type, count);
  if (!ArrayBuffer.isView(decoded)) {
    if (decoded.kind === 'encoding') throw fail(name, 'dataBase64 is not standard padded base64 (A-Z a-z 0-9 + /, = padding, no spaces, the bits past the last byte zero).');
    throw fail(
      name,
      `shape [${shape.join(', ')}] of ${type} needs ${decoded.expectedBytes} bytes (${count} × ${elementBytes[type]}) but dataBase64 holds ${decoded.givenBytes}.`,
    );
  }
  if (decoded instanceof Float32Array || decoded instanceof Float64Array) {
    for (let i = 0; i < decoded.length; i += 1) {
      if (!Number.isFinite(decoded[i]!)) throw fail(name, `value at index ${i} is not a finite number (NaN and Infinity are not allowed).`);
    }
  } else if (type === 'bool') {
    for (let i = 0; i < decoded.length; i += 1) {
      const value = (decoded as Uint8Array)[i]!;
      if (value > 1) throw fail(name, `value at index ${i} (${value}) is not a bool (send bytes 0 or 1).`);
    }
  }
  return decoded;
}

function toTypedArray(name: string, data: number[], type: TensorElementType): TensorInput['data'] {
  const input = { name };
  for (let i = 0; i < data.length; i += 1) {
    const value = data[i]!;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw fail(input.name, `value at index ${i} is not a finite number (NaN and Infinity are not allowed).`);
  }
  switch (type) {
    case 'float32': {
      // Finite as a double is not enough: beyond ±3.4e38 the conversion rounds to ±Infinity.
      const floats = Float32Array.from(data);
      floats.forEach((value, i) => {
        if (!Number.isFinite(value)) throw fail(input.name, `value at index ${i} (${data[i]}) is out of float32 range (at most ±3.4028235e38).`);
      });
      return floats;
    }
    case 'float64':
      return Float64Array.from(data);
    case 'int32':
      data.forEach((value, i) => {
        if (!Number.isInteger(value) || value < int32Range[0] || value > int32Range[1]) throw fail(input.name, `value at index ${i} (${value}) is not an int32.`);
      });
      return Int32Array.from(data);
    case 'int64':
      data.forEach((value, i) => {
        if (!Number.isSafeInteger(value)) throw fail(input.name, `value at index ${i} (${value}) is not an integer (the model expects int64).`);
      });
      return BigInt64Array.from(data, (value) => BigInt(value));
    case 'bool':
      data.forEach((value, i) => {
        if (value !== 0 && value !== 1) throw fail(input.name, `value at index ${i} (${value}) is not a bool (send 0 or 1).`);
      });
      return Uint8Array.from(data);
  }
}

export interface PredictionOutput {
  name: string;
  elementType: string;
  shape: number[];
  /** As the model produced them; `data` and `dataBase64` (model.resolver) are made from these only when selected. */
  values: TypedTensorData;
}

/**
 * Outputs in the order the model declares them. Linear in their number: it runs on the event loop
 * every tenant's predictions share, and a model decides how many outputs it has (a list search per
 * output made an answer of 100 000 one-value outputs cost ~10 s of that loop).
 */
export function presentOutputs(signature: StoredTensorSignature[], outputs: Record<string, TensorOutputOf<'typed'>>): PredictionOutput[] {
  const order = signature.map((tensor) => tensor.name).filter((name) => Object.hasOwn(outputs, name));
  const declared = new Set(order);
  const rest = Object.keys(outputs).filter((name) => !declared.has(name));
  return [...order, ...rest].map((name) => {
    const output = outputs[name]!;
    return { name, elementType: output.type, shape: [...output.dims], values: output.data };
  });
}

/** Non-finite values (a model can produce NaN) become null: JSON and GraphQL Float cannot carry them. int64 beyond 2^53 loses precision (use dataBase64). */
export function outputNumbers(values: TypedTensorData): Array<number | null> {
  const numbers = new Array<number | null>(values.length);
  // By tag, not instanceof: arrays that crossed IPC may come from another realm (e.g. a test VM).
  if (Object.prototype.toString.call(values) === '[object BigInt64Array]') {
    for (let i = 0; i < values.length; i += 1) numbers[i] = Number((values as BigInt64Array)[i]!);
    return numbers;
  }
  const floats = values as Float32Array | Float64Array | Int32Array | Uint8Array;
  for (let i = 0; i < floats.length; i += 1) {
    const value = floats[i]!;
    numbers[i] = Number.isFinite(value) ? value : null;
  }
  return numbers;
}
