import * as ort from 'onnxruntime-node';

/**
 * A real onnxruntime-node session. Logging is limited to fatal errors: tests load models that must
 * fail (and one that fails in every run), and assert on the thrown errors rather than on log noise.
 */
export function createSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
}

/** Loads a model into a real onnxruntime-node session and runs one float32 batch through it. */
export async function runFloatModel(
  bytes: Uint8Array,
  rows: number[][],
  names: { input?: string; output?: string } = {},
): Promise<{ dims: readonly number[]; values: number[][] }> {
  const session = await createSession(bytes);
  try {
    const features = rows[0]?.length ?? 0;
    const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, features]);
    const result = await session.run({ [names.input ?? 'input']: input });
    const output = result[names.output ?? 'output'];
    if (!output) throw new Error(`no output ${names.output ?? 'output'} in ${Object.keys(result).join(', ')}`);
    const width = Number(output.dims[1]);
    const flat = Array.from(output.data as Float32Array);
    return { dims: output.dims, values: rows.map((_, r) => flat.slice(r * width, (r + 1) * width)) };
  } finally {
    await session.release();
  }
}

/** float32 has ~7 significant digits; 1e-5 relative-ish tolerance for values of order 1..100. */
export function expectClose(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, r) => {
    expect(row.length).toBe(expected[r]!.length);
    row.forEach((value, c) => expect(value).toBeCloseTo(expected[r]![c]!, 4));
  });
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
