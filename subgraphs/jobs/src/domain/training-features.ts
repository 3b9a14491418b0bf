import type { EntityManager } from 'typeorm';
import type { DatasetColumnForJob } from '@tessera/datasets/ports';

export function isNumericColumn(column: DatasetColumnForJob): boolean {
  return column.type === 'INTEGER' || column.type === 'FLOAT' || column.type === 'BOOLEAN';
}

/** The feature columns of the training job that produced a model version, if a job did (this service's own table). */
export async function trainingFeatureColumns(manager: EntityManager, jobId: string): Promise<string[] | undefined> {
  const rows = (await manager.query(`SELECT input_json FROM jobs WHERE id = ? AND kind = 'TRAIN'`, [jobId])) as Array<{ input_json: unknown }>;
  const raw = rows[0]?.input_json;
  const input = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { featureColumns?: unknown } | undefined;
  return Array.isArray(input?.featureColumns) ? (input.featureColumns as string[]) : undefined;
}
