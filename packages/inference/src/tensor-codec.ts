/**
 * Converting caller tensors to the typed arrays onnxruntime wants, merging several calls' inputs
 * along dimension 0 (dynamic batching) and splitting merged outputs back per call.
 * Runs in the parent: the merge has to allocate one array anyway, so converting numbers to typed
 * values happens in that same single copy, and the child receives ready-to-wrap buffers.
 */
import { errors } from '@tessera/errors';
import { tensorElementTypes, type TensorData, type TensorElementType, type TensorInput, type TensorOutput, type TensorOutputOf, type TypedTensorData } from './inference-types';
import type { WireOutput, WireTensor, WireTensorData } from './worker/ipc-protocol';

type TypedArrayOf<T extends TensorElementType> = T extends 'float32'
  ? Float32Array
  : T extends 'float64'
    ? Float64Array
    : T extends 'int32'
      ? Int32Array
      : T extends 'int64'
        ? BigInt64Array
        : Uint8Array;

function allocate<T extends TensorElementType>(type: T, length: number): TypedArrayOf<T> {
  switch (type) {
    case 'float32':
      return new Float32Array(length) as TypedArrayOf<T>;
    case 'float64':
      return new Float64Array(length) as TypedArrayOf<T>;
    case 'int32':
      return new Int32Array(length) as TypedArrayOf<T>;
    case 'int64':
      return new BigInt64Array(length) as TypedArrayOf<T>;
    default:
      return new Uint8Array(length) as TypedArrayOf<T>;
  }
}

const typedArrayFor: Record<TensorElementType, new (n: number) => WireTensorData> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

/** Checks one call's inputs (names, types, dims, lengths) before anything is queued. */
export function validateInputs(inputs: Record<string, TensorInput>): void {
  const names = Object.keys(inputs ?? {});
  if (names.length === 0) throw errors.badInput('At least one input tensor is required.', { field: 'inputs' });
  for (const name of names) {
    const input = inputs[name]!;
    const field = `inputs.${name}`;
    if (!tensorElementTypes.includes(input.type)) {
      throw errors.badInput(`Input "${name}": element type ${JSON.stringify(input.type)} is not one of ${tensorElementTypes.join(', ')}.`, { field });
    }
    if (!Array.isArray(input.dims) || input.dims.some((dim) => !Number.isSafeInteger(dim) || dim < 0)) {
      throw errors.badInput(`Input "${name}": dims must be non-negative integers.`, { field });
    }
    const expected = elementCount(input.dims);
    const length = input.data?.length;
    if (length !== expected) {
      throw errors.badInput(`Input "${name}": ${String(length)} values given but dims [${input.dims.join(', ')}] need ${expected}.`, { field });
    }
    if (!Array.isArray(input.data) && !(input.data instanceof typedArrayFor[input.type])) {
      throw errors.badInput(`Input "${name}": data must be a number array or a ${typedArrayFor[input.type].name}.`, { field });
    }
  }
}

/**
 * What must match for two calls to share a run: the same input names, element types and every
 * dimension after the first. `null` when a call cannot be merged at all (a scalar input, or inputs
 * disagreeing on the row count), so it runs alone.
 */
export function batchSignature(inputs: Record<string, WireTensor>): { signature: string; rows: number } | null {
  let rows: number | undefined;
  const parts: string[] = [];
  for (const name of Object.keys(inputs).sort()) {
    const input = inputs[name]!;
    const [first, ...rest] = input.dims;
    if (first === undefined) return null;
    if (rows !== undefined && rows !== first) return null;
    rows = first;
    parts.push(`${JSON.stringify(name)}:${input.type}:[${rest.join(',')}]`);
  }
  return rows === undefined ? null : { signature: parts.join('|'), rows };
}

/** Copies (and converts) `source` into `target` at `offset`, validating integer/boolean values. */
function copyInto(name: string, type: TensorElementType, source: TensorData, target: WireTensorData, offset: number): void {
  if (!Array.isArray(source)) {
    // Same typed array kind (checked in validateInputs): one memcpy.
    (target as Float32Array).set(source as Float32Array, offset);
    return;
  }
  const field = `inputs.${name}`;
  switch (type) {
    case 'float32':
    case 'float64': {
      const out = target as Float32Array | Float64Array;
      for (let i = 0; i < source.length; i++) {
        const value = source[i];
        if (typeof value !== 'number') throw errors.badInput(`Input "${name}": value at ${i} is not a number.`, { field });
        out[offset + i] = value;
      }
      return;
    }
    case 'int32':
    case 'int64': {
      for (let i = 0; i < source.length; i++) {
        const value = source[i]!;
        const limit = type === 'int32' ? 2 ** 31 : 2 ** 53;
        if (!Number.isInteger(value) || value >= limit || value < -limit) {
          throw errors.badInput(`Input "${name}": value at ${i} is not a valid ${type}.`, { field });
        }
        if (type === 'int64') (target as BigInt64Array)[offset + i] = BigInt(value);
        else (target as Int32Array)[offset + i] = value;
      }
      return;
    }
    case 'bool': {
      const out = target as Uint8Array;
      for (let i = 0; i < source.length; i++) {
        const value = source[i] as number | boolean;
        if (value !== 0 && value !== 1 && value !== true && value !== false) {
          throw errors.badInput(`Input "${name}": value at ${i} is not a boolean (0/1).`, { field });
        }
        out[offset + i] = value ? 1 : 0;
      }
      return;
    }
  }
}

/** A typed array whose buffer is exactly its contents, so structured clone copies nothing extra. */
function compact<T extends WireTensorData>(data: T): T {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data;
  return data.slice() as T;
}

/** One call's inputs as wire tensors (no merge). */
export function toWireInputs(inputs: Record<string, TensorInput>): Record<string, WireTensor> {
  const wire: Record<string, WireTensor> = {};
  for (const [name, input] of Object.entries(inputs)) {
    let data: WireTensorData;
    if (Array.isArray(input.data)) {
      data = allocate(input.type, input.data.length);
      copyInto(name, input.type, input.data, data, 0);
    } else {
      data = compact(input.data as WireTensorData);
    }
    wire[name] = { type: input.type, data, dims: [...input.dims] };
  }
  return wire;
}

/**
 * Several calls with the same batch signature merged along dimension 0. Inputs are already wire
 * tensors (converted and validated in `predict`, so one caller's bad value can never fail a batch).
 */
export function mergeInputs(calls: ReadonlyArray<Record<string, WireTensor>>): Record<string, WireTensor> {
  const [first] = calls;
  if (!first) throw new Error('mergeInputs needs at least one call');
  if (calls.length === 1) return first;
  const wire: Record<string, WireTensor> = {};
  for (const [name, template] of Object.entries(first)) {
    const total = calls.reduce((sum, call) => sum + call[name]!.data.length, 0);
    const rows = calls.reduce((sum, call) => sum + call[name]!.dims[0]!, 0);
    const data = allocate(template.type, total);
    let offset = 0;
    for (const call of calls) {
      const part = call[name]!.data;
      (data as Float32Array).set(part as Float32Array, offset);
      offset += part.length;
    }
    wire[name] = { type: template.type, data, dims: [rows, ...template.dims.slice(1)] };
  }
  return wire;
}

function toNumbers(data: TypedTensorData): number[] {
  // By tag, not instanceof: arrays that crossed IPC may come from another realm (e.g. a test VM).
  if (Object.prototype.toString.call(data) === '[object BigInt64Array]') return Array.from(data as BigInt64Array, (value) => Number(value));
  return Array.from(data as Float32Array);
}

function toTyped(data: WireTensorData | number[]): TypedTensorData {
  return Array.isArray(data) ? Float64Array.from(data) : data;
}

/** One run's outputs as the caller's typed outputs (no copy: each call that ran alone owns its run's arrays). */
export function toTypedOutputs(outputs: Record<string, WireOutput>): Record<string, TensorOutputOf<'typed'>> {
  const typed: Record<string, TensorOutputOf<'typed'>> = {};
  for (const [name, output] of Object.entries(outputs)) typed[name] = { type: output.type, dims: [...output.dims], data: toTyped(output.data) };
  return typed;
}

/** Typed outputs as plain numbers (what `predict` returns unless asked for typed data). */
export function toNumberOutputs(outputs: Record<string, TensorOutputOf<'typed'>>): Record<string, TensorOutput> {
  const plain: Record<string, TensorOutput> = {};
  for (const [name, output] of Object.entries(outputs)) plain[name] = { type: output.type, dims: output.dims, data: toNumbers(output.data) };
  return plain;
}

/**
 * Splits a merged run's outputs back per call by row count. `null` when some output's first
 * dimension is not the batch (the model mixes rows), in which case the calls must run alone.
 */
export function splitOutputs(outputs: Record<string, WireOutput>, rowsPerCall: readonly number[]): Array<Record<string, TensorOutputOf<'typed'>>> | null {
  const totalRows = rowsPerCall.reduce((sum, rows) => sum + rows, 0);
  const perCall: Array<Record<string, TensorOutputOf<'typed'>>> = rowsPerCall.map(() => ({}));
  for (const [name, output] of Object.entries(outputs)) {
    if (output.dims[0] !== totalRows) return null;
    const rowSize = elementCount(output.dims.slice(1));
    const data = toTyped(output.data);
    let row = 0;
    rowsPerCall.forEach((rows, index) => {
      // A view, not a copy: the merged array is this pool's alone and no caller writes into it.
      const slice = data.subarray(row * rowSize, (row + rows) * rowSize) as TypedTensorData;
      perCall[index]![name] = { type: output.type, dims: [rows, ...output.dims.slice(1)], data: slice };
      row += rows;
    });
  }
  return perCall;
}
