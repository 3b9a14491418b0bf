/** A tensor signature as the API describes it (dimension sizes, or a symbol such as "batch"). */
export interface Signature {
  name: string;
  elementType: string;
  shape: Array<{ size?: number | null; symbol?: string | null }>;
}

/** The shape a form submits: every symbolic or unknown dimension is taken as 1 (one row). */
export function concreteShape(signature: Signature): number[] {
  return signature.shape.map((dim) => (typeof dim.size === 'number' && dim.size > 0 ? dim.size : 1));
}

export function describeShape(signature: Signature): string {
  return `[${signature.shape.map((dim) => dim.size ?? dim.symbol ?? '?').join(', ')}]`;
}

const numericTypes = new Set(['float', 'float32', 'double', 'float64', 'int32', 'int64', 'int8', 'int16', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'bool']);

/** Parses one input's text ("1.5, 2, 3") against its signature; a problem is named for the form. */
export function parseTensor(signature: Signature, text: string): { values: number[] } | { problem: string } {
  if (!numericTypes.has(signature.elementType.toLowerCase())) return { problem: `Element type ${signature.elementType} cannot be entered here.` };
  const parts = text.split(/[\s,]+/).filter(Boolean);
  const expected = concreteShape(signature).reduce((product, size) => product * size, 1);
  if (parts.length !== expected) return { problem: `Needs ${expected} value${expected === 1 ? '' : 's'} (shape ${describeShape(signature)}), got ${parts.length}.` };
  const values = parts.map(Number);
  const bad = values.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) return { problem: `Value ${bad + 1} ("${parts[bad]}") is not a number.` };
  if (signature.elementType.toLowerCase() === 'bool' && values.some((value) => value !== 0 && value !== 1)) return { problem: 'Booleans are 0 or 1.' };
  if (signature.elementType.toLowerCase().startsWith('int') && values.some((value) => !Number.isInteger(value))) return { problem: 'Integers only.' };
  return { values };
}
