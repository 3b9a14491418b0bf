import { errors } from '@tessera/errors';
import { defaultCsvLimits, MAX_COLUMN_NAME_LENGTH } from '@tessera/tabular';

/**
 * A run's result as a worker reports it (`finish`), checked against what `JobResult` can serve
 * before it is sealed and stored: only its fields, each of its type (ids are UUIDs, counts are
 * non-negative GraphQL `Int`s, numbers are finite, a profile has at most the CSV limit of columns
 * and at most ten top values each). Before, anything was stored, and a count that was not an
 * integer (or a profile's `rowCount` given as text) failed that field of every `jobs` read with
 * INTERNAL_SERVER_ERROR. A bad result is BAD_USER_INPUT naming the field, and nothing is written.
 *
 * What the ids name is the worker's word (the job's own output is registered by its owner through
 * the job ports); they are only held to be ids.
 */
const maxInt = 2_147_483_647;
const maxTopValues = 10;
const maxTopValueLength = 128;
const maxWeights = defaultCsvLimits.maxColumns;

type Check = (value: unknown, field: string) => unknown;

const bad = (field: string, what: string) => errors.badInput(`${field} must be ${what}.`, { field });
const uuid: Check = (value, field) => {
  if (typeof value !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) throw bad(field, 'an id');
  return value;
};
const count: Check = (value, field) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > maxInt) throw bad(field, `an integer from 0 to ${maxInt}`);
  return value;
};
const finite: Check = (value, field) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(field, 'a finite number');
  return value;
};
const bool: Check = (value, field) => {
  if (typeof value !== 'boolean') throw bad(field, 'true or false');
  return value;
};
const text =
  (max: number): Check =>
  (value, field) => {
    if (typeof value !== 'string' || [...value].length > max) throw bad(field, `a string of at most ${max} characters`);
    return value;
  };
const nullable =
  (check: Check): Check =>
  (value, field) =>
    value === null ? null : check(value, field);
const list =
  (check: Check, max: number): Check =>
  (value, field) => {
    if (!Array.isArray(value) || value.length > max) throw bad(field, `a list of at most ${max} entries`);
    return value.map((entry, index) => check(entry, `${field}[${index}]`));
  };
const record =
  (fields: Record<string, Check>, required: readonly string[] = []): Check =>
  (value, field) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(field, 'an object');
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
      const check = fields[key];
      if (!check) throw errors.badInput(`${field}.${key} is not a field of a job result.`, { field: `${field}.${key}` });
      if (entry !== undefined) out[key] = check(entry, `${field}.${key}`);
    }
    for (const key of required) if (!(key in out)) throw bad(`${field}.${key}`, 'given');
    return out;
  };

const topValue = record({ value: text(maxTopValueLength), count, truncated: bool }, ['value', 'count']);
const columnStatistics = record(
  {
    name: text(MAX_COLUMN_NAME_LENGTH),
    type: text(16),
    count,
    nullCount: count,
    min: nullable(finite),
    max: nullable(finite),
    mean: nullable(finite),
    stddev: nullable(finite),
    distinctEstimate: nullable(count),
    distinctExact: nullable(bool),
    topValues: nullable(list((value, field) => topValue(value, field), maxTopValues)),
  },
  ['name', 'type', 'count', 'nullCount'],
);
const profile = record({ rowCount: count, columns: list((value, field) => columnStatistics(value, field), defaultCsvLimits.maxColumns) }, ['rowCount', 'columns']);

const jobResult = record({
  modelId: nullable(uuid),
  modelVersionId: nullable(uuid),
  modelVersionNumber: nullable(count),
  weights: nullable(list(finite, maxWeights)),
  bias: nullable(finite),
  finalLoss: nullable(finite),
  trainingRows: nullable(count),
  skippedRows: nullable(count),
  datasetId: nullable(uuid),
  datasetVersionId: nullable(uuid),
  predictedRows: nullable(count),
  profile: nullable(profile),
});

/** The result to store: null, or an object of `JobResult`'s fields only (see above). */
export function storableJobResult(value: unknown): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  return jobResult(value, 'result') as Record<string, unknown>;
}
