import { TesseraError } from '@tessera/errors';
import { batchSignature, mergeInputs, splitOutputs, toNumberOutputs, toWireInputs, validateInputs } from '../src/tensor-codec';

describe('tensor codec', () => {
  it('builds the typed array of each element type, checking integer and boolean values', () => {
    const wire = toWireInputs({
      f32: { type: 'float32', data: [1.5, -2], dims: [2] },
      f64: { type: 'float64', data: [0.1], dims: [1] },
      i32: { type: 'int32', data: [7, -8], dims: [1, 2] },
      i64: { type: 'int64', data: [2 ** 40, -3], dims: [2, 1] },
      flag: { type: 'bool', data: [1, 0, 1], dims: [3] },
    });
    expect(wire['f32']!.data).toEqual(new Float32Array([1.5, -2]));
    expect(wire['f64']!.data).toEqual(new Float64Array([0.1]));
    expect(wire['i32']!.data).toEqual(new Int32Array([7, -8]));
    expect(wire['i64']!.data).toEqual(new BigInt64Array([2n ** 40n, -3n]));
    expect(wire['flag']!.data).toEqual(new Uint8Array([1, 0, 1]));
    expect(() => toWireInputs({ x: { type: 'int32', data: [2 ** 31], dims: [1] } })).toThrow(TesseraError);
    expect(() => toWireInputs({ x: { type: 'bool', data: [2], dims: [1] } })).toThrow(/boolean/);
  });

  it('validates names, types, dims and lengths', () => {
    expect(() => validateInputs({})).toThrow(/At least one input/);
    expect(() => validateInputs({ x: { type: 'float32', data: [1, 2, 3], dims: [2, 2] } })).toThrow(/3 values given but dims \[2, 2\] need 4/);
    expect(() => validateInputs({ x: { type: 'float32', data: [1], dims: [-1] } })).toThrow(/non-negative integers/);
    expect(() => validateInputs({ x: { type: 'float32', data: new Float64Array(1), dims: [1] } })).toThrow(/Float32Array/);
    expect(() => validateInputs({ x: { type: 'float32', data: new Float32Array(2), dims: [1, 2] } })).not.toThrow();
  });

  it('signs batchable calls by names, types and trailing dims; scalars or disagreeing rows are not batchable', () => {
    const a = batchSignature(toWireInputs({ x: { type: 'float32', data: [1, 2], dims: [1, 2] } }));
    const b = batchSignature(toWireInputs({ x: { type: 'float32', data: [1, 2, 3, 4], dims: [2, 2] } }));
    const c = batchSignature(toWireInputs({ x: { type: 'float32', data: [1, 2, 3], dims: [1, 3] } }));
    expect(a).toEqual({ signature: b!.signature, rows: 1 });
    expect(b!.rows).toBe(2);
    expect(c!.signature).not.toBe(a!.signature);
    expect(batchSignature(toWireInputs({ x: { type: 'float32', data: [1], dims: [] } }))).toBeNull();
    expect(batchSignature(toWireInputs({ x: { type: 'float32', data: [1], dims: [1] }, y: { type: 'float32', data: [1, 2], dims: [2] } }))).toBeNull();
  });

  it('merges along dimension 0 and splits outputs back by rows', () => {
    const calls = [
      toWireInputs({ x: { type: 'int64', data: [1, 2], dims: [1, 2] } }),
      toWireInputs({ x: { type: 'int64', data: [3, 4, 5, 6], dims: [2, 2] } }),
    ];
    const merged = mergeInputs(calls);
    expect(merged['x']!.dims).toEqual([3, 2]);
    expect(merged['x']!.data).toEqual(new BigInt64Array([1n, 2n, 3n, 4n, 5n, 6n]));
    const split = splitOutputs({ y: { type: 'int64', dims: [3, 1], data: new BigInt64Array([10n, 20n, 30n]) } }, [1, 2]);
    // Exact typed slices per call (int64 stays int64); plain numbers only when asked for.
    expect(split).toEqual([{ y: { type: 'int64', dims: [1, 1], data: new BigInt64Array([10n]) } }, { y: { type: 'int64', dims: [2, 1], data: new BigInt64Array([20n, 30n]) } }]);
    expect(toNumberOutputs(split![1]!)).toEqual({ y: { type: 'int64', dims: [2, 1], data: [20, 30] } });
  });

  it('refuses to split outputs whose first dimension is not the batch', () => {
    expect(splitOutputs({ y: { type: 'float32', dims: [1], data: new Float32Array([42]) } }, [1, 2])).toBeNull();
  });

  it('returns plain numbers for every output type', () => {
    const plain = toNumberOutputs({ y: { type: 'bool', dims: [2], data: new Uint8Array([1, 0]) }, z: { type: 'float64', dims: [1], data: new Float64Array([0.5]) } });
    expect(plain).toEqual({ y: { type: 'bool', dims: [2], data: [1, 0] }, z: { type: 'float64', dims: [1], data: [0.5] } });
  });
});
