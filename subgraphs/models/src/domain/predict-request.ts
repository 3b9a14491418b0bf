import { errors } from '@tessera/errors';
import { maxPredictInputs as maxInputs, maxPredictRank as maxRank, type PredictTensorInput } from './predict-input';
import type { PredictInput } from './prediction.service';

/** How the predict route answers output values: base64 of their bytes (default) or JSON numbers. */
export type OutputFormat = 'base64' | 'numbers';

export interface PredictRequest {
  input: PredictInput;
  outputFormat: OutputFormat;
}

const handleFields = ['modelId', 'modelName', 'version', 'alias'] as const;
const knownFields = new Set<string>([...handleFields, 'inputs', 'outputFormat']);
const knownTensorFields = new Set(['name', 'data', 'dataBase64', 'shape', 'elementType']);

const bad = (field: string, message: string) => errors.badInput(message, { field });

/**
 * The predict route's JSON body, checked as strictly as GraphQL checks `PredictInput` (the same
 * field names and types; unknown fields refused), so the route and the `predict` query accept and
 * refuse the same calls. What the types allow is then checked against the model by prepareInputs.
 */
export function parsePredictRequest(body: Record<string, unknown>): PredictRequest {
  for (const key of Object.keys(body)) if (!knownFields.has(key)) throw bad(key, `Unknown field ${JSON.stringify(key)}; the fields are ${[...knownFields].join(', ')}.`);
  const input: PredictInput = {
    modelId: optionalString(body, 'modelId'),
    modelName: optionalString(body, 'modelName'),
    version: optionalInteger(body, 'version'),
    alias: optionalString(body, 'alias'),
    inputs: tensors(body['inputs']),
  };
  const format = body['outputFormat'];
  if (format !== undefined && format !== null && format !== 'base64' && format !== 'numbers') throw bad('outputFormat', 'outputFormat is "base64" (the default) or "numbers".');
  return { input, outputFormat: format === 'numbers' ? 'numbers' : 'base64' };
}

function tensors(value: unknown): PredictTensorInput[] {
  if (!Array.isArray(value)) throw bad('inputs', 'inputs must be a list of tensors ({ name, shape, data | dataBase64 }).');
  if (value.length > maxInputs) throw bad('inputs', `At most ${maxInputs} inputs per call.`);
  return value.map((item: unknown, index) => {
    const field = `inputs[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw bad(field, `${field} must be an object.`);
    const tensor = item as Record<string, unknown>;
    for (const key of Object.keys(tensor)) if (!knownTensorFields.has(key)) throw bad(`${field}.${key}`, `Unknown field ${JSON.stringify(key)} in ${field}.`);
    const name = tensor['name'];
    if (typeof name !== 'string') throw bad(`${field}.name`, `${field}.name must be a string.`);
    const shape = tensor['shape'];
    if (!Array.isArray(shape) || shape.length > maxRank || !shape.every((dim) => Number.isSafeInteger(dim))) {
      throw bad(`${field}.shape`, `${field}.shape must be a list of at most ${maxRank} integers.`);
    }
    const data = tensor['data'];
    if (data !== undefined && data !== null && (!Array.isArray(data) || !data.every((v) => typeof v === 'number'))) throw bad(`${field}.data`, `${field}.data must be a list of numbers.`);
    return {
      name,
      shape: shape as number[],
      data: (data ?? null) as number[] | null,
      dataBase64: optionalString(tensor, 'dataBase64', field),
      elementType: optionalString(tensor, 'elementType', field),
    };
  });
}

function optionalString(record: Record<string, unknown>, key: string, parent?: string): string | null {
  const value = record[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw bad(parent ? `${parent}.${key}` : key, `${parent ? `${parent}.` : ''}${key} must be a string.`);
  return value;
}

function optionalInteger(record: Record<string, unknown>, key: string): number | null {
  const value = record[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 2 ** 31 - 1) throw bad(key, `${key} must be an integer.`);
  return value;
}
