import { prepareInputs, presentOutputs } from '../src/domain/predict-input';
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
    expect(badInput(() => prepareInputs([features], [{ name: 'x', shape: [9, 2], data: Array(18).fill(0) }], limits))).toMatch(/9 rows is over the limit of 8/);
    expect(badInput(() => prepareInputs([features, ids], [{ name: 'x', shape: [2, 2], data: [1, 2, 3, 4] }, { name: 'ids', shape: [3], data: [1, 2, 3] }], limits))).toMatch(
      /"ids": wrong shape: dimension 0 \('batch'\) is 3 here but 2 in input "x"/,
    );
    expect(badInput(() => prepareInputs([{ ...features, elementType: 'string' }], [{ name: 'x', shape: [1, 2], data: [1, 2] }], limits))).toMatch(/element type string, which predict cannot send/);
    expect(badInput(() => prepareInputs([features], [{ name: 'x', shape: [4, 2], data: Array(8).fill(0) }], { maxRows: 8, maxValues: 4 }))).toMatch(/more than 4 values/);
  });

  it('a model without a declared shape accepts any rank', () => {
    const anyShape: StoredTensorSignature = { name: 'x', elementType: 'float64', shape: [], shapeKnown: false };
    expect(prepareInputs([anyShape], [{ name: 'x', shape: [2, 1, 3], data: [1, 2, 3, 4, 5, 6] }], limits).tensors['x']!.dims).toEqual([2, 1, 3]);
  });

  it('presents outputs in declaration order with NaN as null', () => {
    const out = presentOutputs(
      [{ name: 'b', elementType: 'float32', shape: ['batch'], shapeKnown: true }, { name: 'a', elementType: 'float32', shape: ['batch'], shapeKnown: true }],
      { a: { type: 'float32', dims: [2], data: [1, Number.NaN] }, b: { type: 'float32', dims: [1], data: [3] } },
    );
    expect(out).toEqual([
      { name: 'b', elementType: 'float32', shape: [1], data: [3] },
      { name: 'a', elementType: 'float32', shape: [2], data: [1, null] },
    ]);
  });
});
