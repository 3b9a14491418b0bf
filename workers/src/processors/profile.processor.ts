import type { ProfileJobInput } from '@tessera/jobs/ports';
import type { WorkerPorts } from '../worker-runtime';
import type { JobContext } from '../job-context';
import { ColumnAccumulator, DistinctBudget, defaultDistinctBudgetBytes } from './column-statistics';
import { datasetRows, openDatasetVersion } from './dataset-rows';
import type { JobProcessor, ProcessorOutcome } from './job-processor';

/** PROFILE: one streaming pass over the decrypted CSV, per-column statistics in bounded memory. */
export function profileProcessor(ports: Pick<WorkerPorts, 'datasetJobs'>): JobProcessor {
  return (ctx) => profile(ports, ctx);
}

async function profile(ports: Pick<WorkerPorts, 'datasetJobs'>, ctx: JobContext): Promise<ProcessorOutcome> {
  const input = ctx.input<ProfileJobInput>();
  const opened = await openDatasetVersion(ports.datasetJobs, ctx, input.datasetVersionId);
  const { version } = opened;
  const wanted = input.columns ? new Set(input.columns) : undefined;
  // One budget for the exact distinct counts of every column, so a wide file cannot outgrow the worker's heap.
  const budget = new DistinctBudget(defaultDistinctBudgetBytes);
  const accumulators = version.columns.filter((c) => !wanted || wanted.has(c.name)).map((c) => new ColumnAccumulator(c.name, c.type, budget));
  await ctx.progress({ progress: 0, phase: 'reading' }, true);
  let rows = 0;
  for await (const row of datasetRows(ctx, opened)) {
    for (const accumulator of accumulators) accumulator.add(row[accumulator.name]);
    rows++;
    // Offered every 100 rows (the context sends at most one report per percent or half second): wide
    // rows make 5 000 of them seconds of work, and each report is where a cancel is seen.
    if (rows % 100 === 0) await ctx.progress({ progress: (rows / version.rowCount) * 100, phase: 'reading', metrics: { rows } });
  }
  ctx.checkpoint();
  return { result: { profile: { rowCount: rows, columns: accumulators.map((a) => a.result()) } } };
}
