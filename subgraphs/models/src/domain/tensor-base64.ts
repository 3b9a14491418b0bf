import { endianness } from 'node:os';
import type { TensorElementType, TypedTensorData } from '@tessera/inference';

/**
 * Tensors as base64 of their raw little-endian bytes (row-major), the binary alternative to JSON
 * number lists: float32/int32 4 bytes per value, float64/int64 8, bool 1 (0 or 1). One string
 * instead of thousands of list items, and exact (int64 beyond 2^53, float32 bit patterns).
 */
export const elementBytes: Record<TensorElementType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, bool: 1 };

/**
 * Standard alphabet, padded, no whitespace, and the bits past the last byte zero (`AA==`, never
 * `AB==`, which decodes the same): the only spelling accepted, so one tensor has one encoding.
 */
const strictBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;

export type Base64Problem = { kind: 'length'; expectedBytes: number; givenBytes: number } | { kind: 'encoding' };

/**
 * Decodes `count` values of `type`, or says why not (not strict base64; not exactly `count`
 * values' bytes). Value checks (finite floats, 0/1 bools) are the caller's, as for JSON lists.
 */
export function decodeBase64Tensor(text: string, type: TensorElementType, count: number): TypedTensorData | Base64Problem {
  if (!strictBase64.test(text)) return { kind: 'encoding' };
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const givenBytes = (text.length / 4) * 3 - padding;
  const expectedBytes = count * elementBytes[type];
  if (givenBytes !== expectedBytes) return { kind: 'length', expectedBytes, givenBytes };
  const typed = allocate(type, count);
  const target = new Uint8Array(typed.buffer);
  target.set(Buffer.from(text, 'base64'));
  if (!littleEndianHost && elementBytes[type] > 1) swapBytes(target, elementBytes[type]);
  return typed;
}

/** The typed array's values as base64 of their little-endian bytes. */
export function encodeBase64Tensor(data: TypedTensorData): string {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (littleEndianHost || data.BYTES_PER_ELEMENT === 1) return view.toString('base64');
  const copy = Buffer.from(view);
  swapBytes(copy, data.BYTES_PER_ELEMENT);
  return copy.toString('base64');
}

const littleEndianHost = endianness() === 'LE';

function allocate(type: TensorElementType, count: number): TypedTensorData {
  switch (type) {
    case 'float32':
      return new Float32Array(count);
    case 'float64':
      return new Float64Array(count);
    case 'int32':
      return new Int32Array(count);
    case 'int64':
      return new BigInt64Array(count);
    case 'bool':
      return new Uint8Array(count);
  }
}

/** In place, per element: a big-endian host reads and writes the wire's little-endian bytes. */
function swapBytes(bytes: Uint8Array, size: number): void {
  for (let offset = 0; offset < bytes.length; offset += size) bytes.subarray(offset, offset + size).reverse();
}
