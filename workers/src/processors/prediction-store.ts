import { errors } from '@tessera/errors';

/**
 * What a batch inference keeps of each row between its predicting pass and its writing pass: one
 * byte per row (predicted or not) and the predicted rows' values in a typed array that grows by
 * doubling. Float32 while every value is one (what a float32 model answers, exactly), widened to
 * float64 the first time a value is not (a float64 or integer output), so the values read back are
 * exactly the numbers the model gave: the written text is the same as if it had been formatted at
 * once. A million rows of one float32 prediction: 1 MB of flags and 4 MB of values, against the
 * hundreds of megabytes the rows' text took.
 */
export class PredictionStore {
  /** @param maxValues values kept at most: one more fails the job (BAD_USER_INPUT) instead of growing the shared worker. */
  constructor(private readonly maxValues: number) {}

  private flags = new Uint8Array(1024);
  private values: Float32Array | Float64Array = new Float32Array(1024);
  private rowCount = 0;
  private valueCount = 0;
  private readCursor = { row: 0, value: 0 };

  get rows(): number {
    return this.rowCount;
  }

  /** Bytes held (both arrays, as allocated). */
  get byteSize(): number {
    return this.flags.byteLength + this.values.byteLength;
  }

  /** A row with no prediction (a feature missing, or an answer that is not a finite number). */
  skip(): void {
    this.flag(0);
  }

  /** A predicted row's values (all finite). */
  add(rowValues: readonly number[]): void {
    if (this.valueCount + rowValues.length > this.maxValues) {
      throw errors.badInput(
        `The model answers ${rowValues.length} values per row; a batch inference keeps at most ${this.maxValues} predictions, which this dataset's rows exceed. Split the dataset or use a model with fewer outputs.`,
        { field: 'datasetVersionId' },
      );
    }
    this.flag(1);
    if (this.values instanceof Float32Array && rowValues.some((value) => Math.fround(value) !== value)) this.values = Float64Array.from(this.values);
    if (this.valueCount + rowValues.length > this.values.length) {
      const grown = new (this.values.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(Math.min(this.maxValues, Math.max(this.values.length * 2, this.valueCount + rowValues.length)));
      grown.set(this.values.subarray(0, this.valueCount));
      this.values = grown;
    }
    this.values.set(rowValues, this.valueCount);
    this.valueCount += rowValues.length;
  }

  /** Starts reading the rows again from the first. */
  rewind(): void {
    this.readCursor = { row: 0, value: 0 };
  }

  /**
   * The next row's values (`width` of them), or undefined for a row with no prediction; throws
   * once every stored row has been read.
   */
  next(width: number): ArrayLike<number> | undefined {
    const cursor = this.readCursor;
    if (cursor.row >= this.rowCount) throw new RangeError('more rows than were predicted');
    const predicted = this.flags[cursor.row++] === 1;
    if (!predicted) return undefined;
    const values = this.values.subarray(cursor.value, cursor.value + width);
    cursor.value += width;
    return values;
  }

  private flag(value: 0 | 1): void {
    if (this.rowCount === this.flags.length) {
      const grown = new Uint8Array(this.flags.length * 2);
      grown.set(this.flags);
      this.flags = grown;
    }
    this.flags[this.rowCount++] = value;
  }
}
