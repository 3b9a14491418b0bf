import type { EntityManager } from 'typeorm';

/**
 * Read-only lookups of other subgraphs' rows (datasets, models) in the tenant's schema, by SQL:
 * the jobs service's connection pool registers only its own entities. Every query runs on a
 * manager already switched to the caller's tenant schema, so another tenant's id finds nothing.
 */

export type ColumnType = 'INTEGER' | 'FLOAT' | 'BOOLEAN' | 'DATETIME' | 'STRING';

export interface CatalogColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
  nullCount: number;
}

export interface CatalogDatasetVersion {
  id: string;
  datasetId: string;
  datasetName: string;
  number: number;
  objectKey: string;
  rowCount: number;
  byteSize: number;
  columns: CatalogColumn[];
}

export interface CatalogTensor {
  name: string;
  elementType: string;
  shape: Array<number | string | null>;
}

export interface CatalogModelVersion {
  id: string;
  modelId: string;
  modelName: string;
  number: number;
  objectKey: string;
  sha256: string;
  inputs: CatalogTensor[];
  outputs: CatalogTensor[];
  /** The training job that produced it, when a job did. */
  jobId: string | null;
}

const json = <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));

export function isNumericColumn(column: CatalogColumn): boolean {
  return column.type === 'INTEGER' || column.type === 'FLOAT' || column.type === 'BOOLEAN';
}

export async function findDatasetVersion(manager: EntityManager, id: string): Promise<CatalogDatasetVersion | undefined> {
  const rows = (await manager.query(
    `SELECT v.id, v.dataset_id, d.name AS dataset_name, v.number, v.object_key, v.row_count, v.byte_size, v.columns_json
       FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id AND d.status = 'ACTIVE'
      WHERE v.id = ?`,
    [id],
  )) as Array<Record<string, unknown>>;
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: String(row['id']),
    datasetId: String(row['dataset_id']),
    datasetName: String(row['dataset_name']),
    number: Number(row['number']),
    objectKey: String(row['object_key']),
    rowCount: Number(row['row_count']),
    byteSize: Number(row['byte_size']),
    columns: json<CatalogColumn[]>(row['columns_json']),
  };
}

const modelVersionColumns = `v.id, v.model_id, m.name AS model_name, v.number, v.object_key, v.sha256, v.inputs_json, v.outputs_json, v.job_id`;

function toModelVersion(row: Record<string, unknown>): CatalogModelVersion {
  return {
    id: String(row['id']),
    modelId: String(row['model_id']),
    modelName: String(row['model_name']),
    number: Number(row['number']),
    objectKey: String(row['object_key']),
    sha256: String(row['sha256']),
    inputs: json<CatalogTensor[]>(row['inputs_json']),
    outputs: json<CatalogTensor[]>(row['outputs_json']),
    jobId: row['job_id'] ? String(row['job_id']) : null,
  };
}

export async function findModelVersion(manager: EntityManager, id: string): Promise<CatalogModelVersion | undefined> {
  const rows = (await manager.query(
    `SELECT ${modelVersionColumns} FROM model_versions v JOIN models m ON m.id = v.model_id AND m.status = 'ACTIVE' WHERE v.id = ?`,
    [id],
  )) as Array<Record<string, unknown>>;
  return rows[0] ? toModelVersion(rows[0]) : undefined;
}

/** The version an alias of a model (by model id) points at. */
export async function findModelVersionByAlias(manager: EntityManager, modelId: string, alias: string): Promise<CatalogModelVersion | undefined> {
  const rows = (await manager.query(
    `SELECT ${modelVersionColumns}
       FROM model_aliases a
       JOIN model_versions v ON v.id = a.version_id
       JOIN models m ON m.id = v.model_id AND m.status = 'ACTIVE'
      WHERE a.model_id = ? AND a.alias = ?`,
    [modelId, alias],
  )) as Array<Record<string, unknown>>;
  return rows[0] ? toModelVersion(rows[0]) : undefined;
}

/** The feature columns of the training job that produced a model version, if a job did. */
export async function trainingFeatureColumns(manager: EntityManager, jobId: string): Promise<string[] | undefined> {
  const rows = (await manager.query(`SELECT input_json FROM jobs WHERE id = ? AND kind = 'TRAIN'`, [jobId])) as Array<{ input_json: unknown }>;
  const input = rows[0] ? json<{ featureColumns?: unknown }>(rows[0].input_json) : undefined;
  return Array.isArray(input?.featureColumns) ? (input.featureColumns as string[]) : undefined;
}
