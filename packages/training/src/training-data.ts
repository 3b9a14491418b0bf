/** A numeric training set in memory: `features` is row-major, `rows × featureCount`. */
export interface TrainingData {
  features: Float64Array;
  targets: Float64Array;
  rows: number;
  featureCount: number;
}

/** A problem with the data itself (not the platform): the job fails without retrying. */
export class TrainingDataError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'TrainingDataError';
  }
}

export interface LoadOptions {
  featureColumns: string[];
  targetColumn: string;
  /** Stop with an error past this many rows (memory bound). */
  maxRows: number;
}

export interface LoadedTrainingData extends TrainingData {
  /** Rows left out because a used column was empty there. */
  skippedRows: number;
}

/**
 * Collects the used columns of CSV rows (objects keyed by header) into typed arrays. Empty cells
 * skip the row; booleans count as 0/1; anything else that is not a finite number is an error
 * naming the column (the submit-time check already refused non-numeric column types).
 */
export async function loadTrainingData(rows: AsyncIterable<Record<string, string>>, options: LoadOptions): Promise<LoadedTrainingData> {
  const featureCount = options.featureColumns.length;
  let capacity = 1024;
  let features = new Float64Array(capacity * featureCount);
  let targets = new Float64Array(capacity);
  let count = 0;
  let skippedRows = 0;
  const values = new Float64Array(featureCount);
  for await (const row of rows) {
    const target = numeric(row[options.targetColumn], options.targetColumn);
    let complete = target !== null;
    for (let j = 0; j < featureCount && complete; j++) {
      const column = options.featureColumns[j]!;
      const value = numeric(row[column], column);
      if (value === null) complete = false;
      else values[j] = value;
    }
    if (!complete) {
      skippedRows++;
      continue;
    }
    if (count >= options.maxRows) throw new TrainingDataError('datasetVersionId', `The dataset has more than ${options.maxRows} usable rows; training takes at most that many.`);
    if (count === capacity) {
      capacity *= 2;
      const grownFeatures = new Float64Array(capacity * featureCount);
      grownFeatures.set(features);
      features = grownFeatures;
      const grownTargets = new Float64Array(capacity);
      grownTargets.set(targets);
      targets = grownTargets;
    }
    features.set(values, count * featureCount);
    targets[count] = target!;
    count++;
  }
  if (count === 0) throw new TrainingDataError('datasetVersionId', 'The dataset has no row with values in every used column.');
  return { features: features.subarray(0, count * featureCount), targets: targets.subarray(0, count), rows: count, featureCount, skippedRows };
}

function numeric(raw: string | undefined, column: string): number | null {
  if (raw === undefined || raw === '') return null;
  const lower = raw.toLowerCase();
  if (lower === 'true') return 1;
  if (lower === 'false') return 0;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new TrainingDataError(column, `Column ${JSON.stringify(column)} holds a non-numeric value.`);
  return value;
}
