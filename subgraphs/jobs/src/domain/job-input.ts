import { errors } from '@tessera/errors';
import { HyperParameterError, modelTypes, resolveHyperParameters, type HyperParameters, type ModelType } from '@tessera/training';

/** What a job row's `input_json` holds, per kind (resolved: defaults filled, references checked). */
export interface TrainJobInput {
  kind: 'TRAIN';
  datasetVersionId: string;
  targetColumn: string;
  featureColumns: string[];
  modelType: ModelType;
  modelName: string;
  hyperParameters: HyperParameters;
}

export interface BatchInferenceJobInput {
  kind: 'BATCH_INFERENCE';
  datasetVersionId: string;
  modelId: string;
  modelVersionId: string;
  alias: string | null;
  featureColumns: string[];
  outputDatasetName: string;
  predictionColumn: string;
}

/**
 * The columns a batch inference adds: `predictionColumn` for a model with one value per row, else
 * `<predictionColumn>_0` … `_<width-1>`, one per value (a classifier's scores), in output order.
 */
export function predictionColumnNames(predictionColumn: string, width: number): string[] {
  return width === 1 ? [predictionColumn] : Array.from({ length: width }, (_, index) => `${predictionColumn}_${index}`);
}

export interface ProfileJobInput {
  kind: 'PROFILE';
  datasetVersionId: string;
  /** null: every column. */
  columns: string[] | null;
}

export type JobInput = TrainJobInput | BatchInferenceJobInput | ProfileJobInput;

/** Upper bound of rows a training or inference job loads into a worker's memory. */
export const maxJobRows = 1_000_000;

/**
 * Upper bound of the values a batch inference keeps between its two reads (rows × values per row):
 * the worker holds every prediction until the output is written, 4 bytes each (8 once a model
 * answers a value float32 does not hold), so 2^24 values are at most 128 MiB of one shared worker.
 * A million rows of up to 16 values each fit.
 */
export const maxBatchPredictionValues = 16_777_216;

const datasetNamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9 ._-]{0,126}[A-Za-z0-9._-])?$/;
const columnNamePattern = /^[A-Za-z_][A-Za-z0-9_ .-]{0,63}$/;
const aliasPattern = /^[a-z][a-z0-9_-]{0,62}$/;

export function parseModelType(value: unknown): ModelType {
  if (!(modelTypes as readonly unknown[]).includes(value)) throw errors.badInput(`modelType must be one of ${modelTypes.join(', ')}.`, { field: 'modelType' });
  return value as ModelType;
}

/** Names of models and datasets a job creates: the registry's and datasets' own alphabet. */
export function parseResourceName(value: string, field: string): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (!datasetNamePattern.test(name) || name.includes('..')) {
    throw errors.badInput(`${field} must be 1–128 characters: letters, digits, space, '.', '_' or '-', starting with a letter or digit.`, { field });
  }
  return name;
}

/** A default name derived from another name, cut to fit and kept inside the alphabet. */
export function derivedName(base: string, suffix: string): string {
  const cleaned = base.replace(/[^A-Za-z0-9 ._-]/g, '-').slice(0, 127 - suffix.length);
  return `${cleaned}-${suffix}`.replace(/^[^A-Za-z0-9]+/, 'x');
}

export function parseNewColumnName(value: string, field: string): string {
  if (typeof value !== 'string' || !columnNamePattern.test(value)) {
    throw errors.badInput(`${field} must be 1–64 characters: letters, digits, '_', ' ', '.', '-', starting with a letter or '_'.`, { field });
  }
  return value;
}

export function parseAlias(value: string): string {
  if (typeof value !== 'string' || !aliasPattern.test(value)) {
    throw errors.badInput("alias must be 1–63 characters: lower-case letters, digits, '_' or '-', starting with a letter.", { field: 'alias' });
  }
  return value;
}

/** A list of column names: no duplicates, at most 1 000. */
export function parseColumnList(value: readonly string[], field: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw errors.badInput(`${field} must name at least one column.`, { field });
  if (value.length > 1000) throw errors.badInput(`${field} may name at most 1000 columns.`, { field });
  const seen = new Set<string>();
  for (const name of value) {
    if (typeof name !== 'string' || name.length === 0) throw errors.badInput(`${field} holds an empty column name.`, { field });
    if (seen.has(name)) throw errors.badInput(`${field} names ${JSON.stringify(name)} twice.`, { field });
    seen.add(name);
  }
  return [...value];
}

export interface HyperParametersArgs {
  epochs?: number | null;
  learningRate?: number | null;
  batchSize?: number | null;
  l2?: number | null;
  hiddenUnits?: number[] | null;
  activation?: 'RELU' | 'TANH' | null;
  seed?: number | null;
}

/** GraphQL's hyper-parameters → the trainer's, with BAD_USER_INPUT naming the field out of bounds. */
export function parseHyperParameters(modelType: ModelType, args: HyperParametersArgs | null | undefined): HyperParameters {
  const given = Object.fromEntries(
    Object.entries({
      epochs: args?.epochs,
      learningRate: args?.learningRate,
      batchSize: args?.batchSize,
      l2: args?.l2,
      hiddenUnits: args?.hiddenUnits,
      activation: args?.activation ? args.activation.toLowerCase() : undefined,
      seed: args?.seed,
    }).filter(([, value]) => value !== undefined && value !== null),
  );
  try {
    return resolveHyperParameters(modelType, given);
  } catch (error) {
    if (error instanceof HyperParameterError) throw errors.badInput(error.message, { field: error.field });
    throw error;
  }
}
