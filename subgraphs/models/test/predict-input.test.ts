import { outputNumbers, prepareInputs, presentOutputs } from '../src/domain/predict-input';
import { encodeBase64Tensor } from '../src/domain/tensor-base64';
import type { StoredTensorSignature } from '../src/data/tensor-signature';

const limits = { maxRows: 8, maxValues: 64 };
const features: StoredTensorSignature = { name: 'x', elementType: 'float32', shape: ['batch', 2], shapeKnown: true };
const ids: StoredTensorSignature = { name: 'ids', elementType: 'int64', shape: ['batch'], shapeKnown: true };
const flag: StoredTensorSignature = { name: 'flag', elementType: 'bool', shape: ['batch'], shapeKnown: true };

function badInput(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect((error as { code?: string }).code).toBe('BAD_USER_INPUT');
    return (error as Error).message;
  }
  throw new Error('expected BAD_USER_INPUT');
}

describe('predict input validation (pure)', () => {
  it('turns valid inputs into typed tensors and counts rows', () => {
    const prepared = prepareInputs([features, ids, flag], [
      { name: 'x', shape: [2, 2], data: [1, 2, 3, 4] },
      { name: 'ids', shape: [2], data: [7, -9] },
      { name: 'flag', shape: [2], data: [0, 1] },
    ], limits);
    expect(prepared.rows).toBe(2);
    expect(prepared.tensors['x']).toEqual({ type: 'float32', dims: [2, 2], data: Float32Array.from([1, 2, 3, 4]) });
    expect(prepared.tensors['ids']!.data).toEqual(BigInt64Array.from([7n, -9n]));
    expect(prepared.tensors['flag']!.data).toEqual(Uint8Array.from([0, 1]));
  });

  it('names the input and the problem', () => {
    expect(badInput(() => prepareInputs([features, ids], [{ name: 'x', shape: [1, 2], data: [1, 2] }], limits))).toMatch(/"ids": missing/);
    expect(badInput(() => prepareInputs([ids], [{ name: 'ids', shape: [1], data: [1.5] }], limits))).toMatch(/"ids": value at index 0 \(1.5\) is not an integer/);
    expect(badInput(() => prepareInputs([flag], [{ name: 'flag', shape: [1], data: [2] }], limits))).toMatch(/"flag": value at index 0 \(2\) is not a bool/);
    expect(badInput(() => prepareInputs([features], [{ name: 'x', shape: [1, 2], data: [1, Number.NaN] }], limits))).toMatch(/index 1 is not a finite number/);
    expect(badInput(() => prepareInputs([features], [{ name: 'x', shape: [1, 2], data: [Number.POSITIVE_INFINITY, 1] }], limits))).toMatch(/index 0 is not a finite number/);
    // Finite as a JSON number, not as a float32: it would reach the model as Infinity.
    expect(badInput(() => prepareInputs([features], [{ name: 'x', shape: [1, 2], data: [1, -1e39] }], limits))).toMatch(/"x": value at index 1 \(-1e\+39\) is out of float32 range/);
    expect(prepareInputs([features], [{ name: 'x', shape: [1, 2], data: [3.4e38, 1e-46] }], limits).tensors['x']!.data).toEqual(Float32Array.from([3.4e38, 0]));
    expect(prepareInputs([{ ...features, elementType: 'float64' }], [{ name: 'x', shape: [1, 2], data: [1e39, 1] }], limits).tensors['x']!.data).toEqual(Float64Array.from([1e39, 1]));
    expect(badInput(() => prepareInputs([features], [{ name: 'x', shape: [9, 2], data: Array(18).fill(0) }], limits))).toMatch(/9 rows is over the limit of 8/);
    expect(badInput(() => prepareInputs([features, ids], [{ name: 'x', shape: [2, 2], data: [1, 2, 3, 4] }, { name: 'ids', shape: [3], data: [1, 2, 3] }], limits))).toMatch(
      /"ids": wrong shape: dimension 0 \('batch'\) is 3 here but 2 in input "x"/,
    );
    expect(badInput(() => prepareInputs([{ ...features, elementType: 'string' }], [{ name: 'x', shape: [1, 2], data: [1, 2] }], limits))).toMatch(/element type string, which predict cannot send/);
    expect(badInput(() => prepareInputs([features], [{ name: 'x', shape: [4, 2], data: Array(8).fill(0) }], { maxRows: 8, maxValues: 4 }))).toMatch(/more than 4 values/);
  });

  it('more than 64 inputs, or a shape of more than 16 dimensions, is refused before anything else, as the predict route refuses it', () => {
    const many = Array.from({ length: 65 }, (_, i) => ({ name: `in${i}`, shape: [1], data: [1] }));
    expect(badInput(() => prepareInputs([features], many, limits))).toBe('At most 64 inputs per call.');
    const deep = { name: 'x', shape: Array.from({ length: 17 }, () => 1), data: [1] };
    expect(badInput(() => prepareInputs([features], [deep], limits))).toMatch(/"x": a shape has at most 16 dimensions/);
  });

  it('a model without a declared shape accepts any rank', () => {
    const anyShape: StoredTensorSignature = { name: 'x', elementType: 'float64', shape: [], shapeKnown: false };
    expect(prepareInputs([anyShape], [{ name: 'x', shape: [2, 1, 3], data: [1, 2, 3, 4, 5, 6] }], limits).tensors['x']!.dims).toEqual([2, 1, 3]);
  });

  it('presents outputs in declaration order; as numbers, NaN is null and int64 a number', () => {
    const out = presentOutputs(
      [{ name: 'b', elementType: 'float32', shape: ['batch'], shapeKnown: true }, { name: 'a', elementType: 'float32', shape: ['batch'], shapeKnown: true }],
      { a: { type: 'float32', dims: [2], data: Float32Array.from([1, Number.NaN]) }, b: { type: 'int64', dims: [1], data: BigInt64Array.from([3n]) } },
    );
    expect(out.map((output) => [output.name, output.elementType, output.shape])).toEqual([
      ['b', 'int64', [1]],
      ['a', 'float32', [2]],
    ]);
    expect(outputNumbers(out[0]!.values)).toEqual([3]);
    expect(outputNumbers(out[1]!.values)).toEqual([1, null]);
  });

  it('presents many outputs in time linear in their number (it runs on the event loop every tenant shares)', () => {
    // 100 000 one-value outputs, within the answer's 262 144 values: ordering them by a list search
    // took ~10 s (quadratic) of the models process's event loop, every tenant's predictions waiting.
    const count = 100_000;
    const signature: StoredTensorSignature[] = Array.from({ length: count }, (_, i) => ({ name: `o${i}`, elementType: 'float32', shape: [1], shapeKnown: true }));
    const outputs = Object.fromEntries(signature.map((tensor) => [tensor.name, { type: 'float32' as const, dims: [1], data: new Float32Array(1) }]));
    outputs['extra'] = { type: 'float32', dims: [1], data: new Float32Array(1) };
    const started = performance.now();
    const presented = presentOutputs(signature, outputs);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(presented).toHaveLength(count + 1);
    expect(presented[0]!.name).toBe('o0');
    expect(presented[count]!.name).toBe('extra');
  });

  const b64 = (values: ArrayBufferView) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');

  it('dataBase64: little-endian bytes of the input element type, the same tensors as the lists', () => {
    const prepared = prepareInputs([features, ids, flag], [
      { name: 'x', shape: [2, 2], dataBase64: b64(Float32Array.from([1, 2, 3, 4.5])) },
      // int64 beyond 2^53 is exact in binary (a JSON number could not carry it).
      { name: 'ids', shape: [2], dataBase64: b64(BigInt64Array.from([2n ** 60n + 1n, -9n])) },
      { name: 'flag', shape: [2], dataBase64: b64(Uint8Array.from([1, 0])) },
    ], limits);
    expect(prepared.rows).toBe(2);
    expect(prepared.tensors['x']).toEqual({ type: 'float32', dims: [2, 2], data: Float32Array.from([1, 2, 3, 4.5]) });
    expect(prepared.tensors['ids']!.data).toEqual(BigInt64Array.from([2n ** 60n + 1n, -9n]));
    expect(prepared.tensors['flag']!.data).toEqual(Uint8Array.from([1, 0]));
    // And back: outputs encode the same way.
    expect(encodeBase64Tensor(BigInt64Array.from([2n ** 60n + 1n, -9n]))).toBe(b64(BigInt64Array.from([2n ** 60n + 1n, -9n])));
    expect(encodeBase64Tensor(Float32Array.from([0, 1, 2, 3]).subarray(2))).toBe(b64(Float32Array.from([2, 3])));
  });

  it('dataBase64 is checked as strictly as data: one of the two, exact byte length, strict base64, finite floats, 0/1 bools', () => {
    const x = (input: object) => prepareInputs([features], [{ name: 'x', shape: [1, 2], ...input }], limits);
    expect(badInput(() => x({ data: [1, 2], dataBase64: b64(Float32Array.from([1, 2])) }))).toMatch(/"x": give exactly one of data and dataBase64/);
    expect(badInput(() => x({}))).toMatch(/"x": give exactly one of data and dataBase64/);
    expect(badInput(() => x({ data: null, dataBase64: null }))).toMatch(/exactly one/);
    // 3 floats for shape [1, 2]; float64 bytes for a float32 input (16 bytes, 8 expected).
    expect(badInput(() => x({ dataBase64: b64(Float32Array.from([1, 2, 3])) }))).toMatch(/needs 8 bytes \(2 × 4\) but dataBase64 holds 12/);
    expect(badInput(() => x({ dataBase64: b64(Float64Array.from([1, 2])) }))).toMatch(/needs 8 bytes \(2 × 4\) but dataBase64 holds 16/);
    expect(badInput(() => x({ dataBase64: b64(Float32Array.from([1])) }))).toMatch(/needs 8 bytes \(2 × 4\) but dataBase64 holds 4/);
    // Not base64: characters outside the alphabet, URL-safe alphabet, missing padding, whitespace.
    for (const text of ['AAAAAAAA!AA=', 'AAAAAA-_AAA=', 'AAAAAAAAAAA', ' AAAAAAAAAAA=', 'AAAA\nAAAAAAA=']) {
      expect(badInput(() => x({ dataBase64: text }))).toMatch(/"x": dataBase64 is not standard padded base64/);
    }
    expect(badInput(() => x({ dataBase64: b64(Float32Array.from([1, Number.NaN])) }))).toMatch(/"x": value at index 1 is not a finite number/);
    expect(badInput(() => x({ dataBase64: b64(Float32Array.from([Number.NEGATIVE_INFINITY, 1])) }))).toMatch(/value at index 0 is not a finite number/);
    expect(badInput(() => prepareInputs([flag], [{ name: 'flag', shape: [2], dataBase64: b64(Uint8Array.from([1, 2])) }], limits))).toMatch(/"flag": value at index 1 \(2\) is not a bool/);
    // One tensor, one spelling: the bits past the last byte must be zero (AQB= decodes like AQA=).
    expect(b64(Uint8Array.from([1, 0]))).toBe('AQA=');
    expect(prepareInputs([flag], [{ name: 'flag', shape: [2], dataBase64: 'AQA=' }], limits)).toBeDefined();
    for (const text of ['AQB=', 'AQD=']) {
      expect(badInput(() => prepareInputs([flag], [{ name: 'flag', shape: [2], dataBase64: text }], limits))).toMatch(/"flag": dataBase64 is not standard padded base64/);
    }
    // The row and value limits hold whatever the encoding.
    expect(badInput(() => prepareInputs([features], [{ name: 'x', shape: [9, 2], dataBase64: b64(new Float32Array(18)) }], limits))).toMatch(/9 rows is over the limit of 8/);
    // A wrong element type claim is refused before the bytes are read.
    expect(badInput(() => x({ elementType: 'float64', dataBase64: b64(Float64Array.from([1, 2])) }))).toMatch(/wrong element type/);
  });
});
