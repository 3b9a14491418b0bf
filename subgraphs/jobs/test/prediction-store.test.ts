import { PredictionStore } from '@tessera/workers';

/**
 * What a batch inference keeps of each row between its two reads of the dataset: the values read
 * back must be exactly those the model gave, or the regenerated output would differ from the bytes
 * counted and reserved in the first read.
 */
describe('PredictionStore', () => {
  it('gives back each row in order, predicted or not, past many growths of its arrays', () => {
    const store = new PredictionStore(1_000_000);
    const rows = 5000;
    for (let i = 0; i < rows; i++) {
      if (i % 3 === 0) store.skip();
      else store.add([Math.fround(i / 7), Math.fround(-i)]);
    }
    expect(store.rows).toBe(rows);
    store.rewind();
    for (let i = 0; i < rows; i++) {
      const values = store.next(2);
      if (i % 3 === 0) expect(values).toBeUndefined();
      else expect(Array.from(values!)).toEqual([Math.fround(i / 7), Math.fround(-i)]);
    }
    expect(() => store.next(2)).toThrow(RangeError);
  });

  it('keeps float32 answers in 4 bytes each and widens, without changing the values kept, when a value is not a float32', () => {
    const store = new PredictionStore(1_000_000);
    for (let i = 0; i < 100_000; i++) store.add([Math.fround(i + 0.5)]);
    const float32Bytes = store.byteSize;
    // A byte per row and 4 per value, in arrays that grow by doubling.
    expect(float32Bytes).toBeLessThanOrEqual(2 * 100_000 * (1 + 4));
    store.add([0.1]); // a float64 (or an integer output's) value
    store.add([2 ** 53 - 1]);
    expect(store.byteSize).toBeGreaterThan(float32Bytes);
    store.rewind();
    for (let i = 0; i < 100_000; i++) expect(store.next(1)![0]).toBe(Math.fround(i + 0.5));
    expect(store.next(1)![0]).toBe(0.1);
    expect(store.next(1)![0]).toBe(2 ** 53 - 1);
  });

  it('refuses, typed, the value that would pass its bound, and keeps every row before it', () => {
    const store = new PredictionStore(10);
    store.add([1, 2, 3, 4]);
    store.skip();
    store.add([5, 6, 7, 8]);
    expect(() => store.add([9, 10, 11, 12])).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(store.rows).toBe(3);
    expect(store.byteSize).toBeLessThanOrEqual(1024 + 1024 * 4);
    store.rewind();
    expect(Array.from(store.next(4)!)).toEqual([1, 2, 3, 4]);
    expect(store.next(4)).toBeUndefined();
    expect(Array.from(store.next(4)!)).toEqual([5, 6, 7, 8]);
  });
});
