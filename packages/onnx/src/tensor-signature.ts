import { DataType, type TypeDescription, type ValueInfo } from './onnx-schema';
import { OnnxValidationError } from './onnx-validation-error';

/** Element type names as onnxruntime-node spells them (`Tensor.type`), plus the ONNX-only ones. */
export type OnnxElementType =
  | 'float32' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'int32' | 'int64' | 'string' | 'bool' | 'float16'
  | 'float64' | 'uint32' | 'uint64' | 'complex64' | 'complex128' | 'bfloat16' | 'float8e4m3fn'
  | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'uint4' | 'int4' | 'float4e2m1';

/** Non-tensor values can only appear as outputs (e.g. the ZipMap of a scikit-learn classifier). */
export type OnnxValueKind = 'sequence' | 'map' | 'optional' | 'sparse_tensor';

export interface TensorSignature {
  name: string;
  elementType: OnnxElementType | OnnxValueKind;
  /** number = fixed size, string = symbolic dimension (e.g. 'batch'), null = unknown size. */
  shape: Array<number | string | null>;
  /** false when the model does not declare a shape at all (any rank accepted); `shape` is then []. */
  shapeKnown: boolean;
}

const ELEMENT_TYPE_NAMES: Readonly<Record<number, OnnxElementType>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.UINT8]: 'uint8',
  [DataType.INT8]: 'int8',
  [DataType.UINT16]: 'uint16',
  [DataType.INT16]: 'int16',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.STRING]: 'string',
  [DataType.BOOL]: 'bool',
  [DataType.FLOAT16]: 'float16',
  [DataType.DOUBLE]: 'float64',
  [DataType.UINT32]: 'uint32',
  [DataType.UINT64]: 'uint64',
  [DataType.COMPLEX64]: 'complex64',
  [DataType.COMPLEX128]: 'complex128',
  [DataType.BFLOAT16]: 'bfloat16',
  [DataType.FLOAT8E4M3FN]: 'float8e4m3fn',
  [DataType.FLOAT8E4M3FNUZ]: 'float8e4m3fnuz',
  [DataType.FLOAT8E5M2]: 'float8e5m2',
  [DataType.FLOAT8E5M2FNUZ]: 'float8e5m2fnuz',
  [DataType.UINT4]: 'uint4',
  [DataType.INT4]: 'int4',
  [DataType.FLOAT4E2M1]: 'float4e2m1',
};

/** Tensor types onnxruntime-node can build an input `Tensor` from; any other input type is unusable. */
const FEEDABLE_INPUT_TYPES: ReadonlySet<OnnxElementType> = new Set<OnnxElementType>([
  'float32', 'uint8', 'int8', 'uint16', 'int16', 'int32', 'int64', 'string', 'bool', 'float16', 'float64',
  'uint32', 'uint64', 'uint4', 'int4',
]);

export function elementTypeName(dataType: number | undefined): OnnxElementType | undefined {
  return dataType === undefined ? undefined : ELEMENT_TYPE_NAMES[dataType];
}

export function inputSignature(info: ValueInfo): TensorSignature {
  const signature = valueSignature(info, 'input');
  if (!FEEDABLE_INPUT_TYPES.has(signature.elementType as OnnxElementType)) {
    throw new OnnxValidationError(
      'UNSUPPORTED_TYPE',
      `input "${signature.name}" has type ${signature.elementType}, which cannot be passed to onnxruntime-node`,
    );
  }
  return signature;
}

export function outputSignature(info: ValueInfo): TensorSignature {
  return valueSignature(info, 'output');
}

function valueSignature(info: ValueInfo, role: 'input' | 'output'): TensorSignature {
  const name = info.name ?? '';
  if (name === '') throw new OnnxValidationError('NOT_ONNX', `a graph ${role} has no name`);
  const type: TypeDescription | undefined = info.type;
  const kind = nonTensorKind(type);
  if (kind) return { name, elementType: kind, shape: [], shapeKnown: false };
  const tensor = type?.tensor_type;
  const elementType = elementTypeName(tensor?.elem_type);
  if (!tensor || !elementType) {
    throw new OnnxValidationError('UNSUPPORTED_TYPE', `graph ${role} "${name}" has no usable tensor element type`);
  }
  if (!tensor.shape) return { name, elementType, shape: [], shapeKnown: false };
  const shape = (tensor.shape.dim ?? []).map((dim, axis): number | string | null => {
    if (dim.dim_value !== undefined && dim.dim_value !== null) return fixedDimension(dim.dim_value, role, name, axis);
    if (dim.dim_param) return dim.dim_param;
    return null;
  });
  return { name, elementType, shape, shapeKnown: true };
}

/**
 * Sizes are GraphQL `Int`s in the version's signature and positive integers in a predict call, so a
 * fixed size outside 1..2^31-1 on an input could never be fed (and over 2^31-1 could not even be
 * shown). An output may declare 0 (an empty result is a real tensor), never a negative size.
 */
export const MAX_FIXED_DIMENSION = 2 ** 31 - 1;

function fixedDimension(size: number, role: 'input' | 'output', name: string, axis: number): number {
  const smallest = role === 'input' ? 1 : 0;
  if (!Number.isSafeInteger(size) || size < smallest || size > MAX_FIXED_DIMENSION) {
    throw new OnnxValidationError(
      'INVALID_DIMENSION',
      `graph ${role} "${name}" declares dimension ${axis} as ${size}; a fixed size must be ${smallest}..${MAX_FIXED_DIMENSION}`,
    );
  }
  return size;
}

function nonTensorKind(type: TypeDescription | undefined): TensorSignature['elementType'] | undefined {
  if (type?.sequence_type) return 'sequence';
  if (type?.map_type) return 'map';
  if (type?.optional_type) return 'optional';
  if (type?.sparse_tensor_type) return 'sparse_tensor';
  return undefined;
}
