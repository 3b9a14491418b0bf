import type { EntityManager } from 'typeorm';

const ER_BAD_FIELD_ERROR = 1054;

/**
 * A job's run time. The job pipelines migration (0003) adds started_at / finished_at; a schema
 * without them (or a job that never recorded them) falls back to created → last update.
 */
const withRunColumns = 'TIMESTAMPDIFF(MICROSECOND, COALESCE(started_at, created_at), COALESCE(finished_at, updated_at)) / 1000';
const withoutRunColumns = 'TIMESTAMPDIFF(MICROSECOND, created_at, updated_at) / 1000';

export async function countTrainingJobsByStatus(manager: EntityManager, from: Date, to: Date): Promise<Map<string, number>> {
  const rows = (await manager.query(`SELECT status, COUNT(*) AS jobs FROM jobs WHERE kind = 'TRAIN' AND created_at >= ? AND created_at <= ? GROUP BY status`, [from, to])) as Array<{
    status: string;
    jobs: number | string;
  }>;
  return new Map(rows.map((r) => [r.status, Number(r.jobs)]));
}

/**
 * Exact nearest-rank percentiles of the run time of the SUCCEEDED training jobs created in
 * [from, to], plus their mean; each percentile is one indexed OFFSET read, so memory stays flat
 * whatever the number of jobs.
 */
export async function trainingDurations(manager: EntityManager, from: Date, to: Date, quantiles: number[]): Promise<{ count: number; meanMs: number | null; quantilesMs: Array<number | null> }> {
  try {
    return await durations(manager, from, to, quantiles, withRunColumns);
  } catch (error) {
    if ((error as { errno?: number }).errno !== ER_BAD_FIELD_ERROR) throw error;
    return durations(manager, from, to, quantiles, withoutRunColumns);
  }
}

async function durations(manager: EntityManager, from: Date, to: Date, quantiles: number[], expression: string) {
  const base = `FROM jobs WHERE kind = 'TRAIN' AND status = 'SUCCEEDED' AND created_at >= ? AND created_at <= ?`;
  const [summary] = (await manager.query(`SELECT COUNT(*) AS n, AVG(${expression}) AS mean ${base}`, [from, to])) as Array<{ n: number | string; mean: number | string | null }>;
  const count = Number(summary?.n ?? 0);
  if (count === 0) return { count, meanMs: null, quantilesMs: quantiles.map(() => null) };
  const quantilesMs: Array<number | null> = [];
  for (const q of quantiles) {
    const offset = Math.max(0, Math.ceil(q * count) - 1);
    const [row] = (await manager.query(`SELECT ${expression} AS ms ${base} ORDER BY ms LIMIT 1 OFFSET ?`, [from, to, offset])) as Array<{ ms: number | string }>;
    quantilesMs.push(row ? Number(row.ms) : null);
  }
  return { count, meanMs: Number(summary?.mean ?? 0), quantilesMs };
}
