import { createHash, type Hash } from 'node:crypto';
import { errors } from '@tessera/errors';
import type { InferencePools } from '@tessera/inference';
import { predictionColumnNames, type BatchInferenceJobInput } from '@tessera/jobs/ports';
import { readPresignedObjectBuffer, storedSizeOf, writePresignedObjectStream } from '@tessera/storage';
import { CsvProfiler } from '@tessera/tabular';
import type { JobContext } from '../job-context';
import { csvField, csvLine, formatPrediction } from './csv-writer';
import { datasetRows, openDatasetVersion, type OpenedDatasetVersion } from './dataset-rows';
import type { JobProcessor, ProcessorOutcome } from './job-processor';
import { inferenceRowsPerRun } from './limits';
import { measured } from './measured-output';
import { PredictionStore } from './prediction-store';
import type { WorkerPorts } from '../worker-runtime';

/** How long one chunk may run in the model before its inference process is stopped. */
const chunkTimeoutMs = 60_000;

/** Plaintext gathered into one piece of the output stream (the encryption's chunk size). */
const outputPieceBytes = 64 * 1024;

/**
 * BATCH_INFERENCE: streams the decrypted dataset in chunks through the model and writes the rows
 * back with a prediction column, encrypted, under a key that names the job and the attempt
 * (`datasets/<output>/job-<job>-a<attempt>.csv`). Everything goes through the owners' job ports
 * under the run's grant: the datasets service reserves the storage before the output dataset or
 * the object is written, hands out a presigned PUT and the seal to encrypt it with (removing what
 * a crashed attempt left, unless it already became the job's version), and makes the object a
 * version just before the job is marked SUCCEEDED, at most one per job. A tenant over quota gets a
 * FAILED job (QUOTA_EXCEEDED) and no dataset, row or object. The model version, and a presigned
 * URL to its ONNX object, come from the models service.
 *
 * The output is never whole in the worker's memory, so a large dataset cannot exhaust a worker
 * that other tenants' runs share. Two reads of the same (immutable) version: the first runs the
 * model chunk by chunk and keeps only the predictions (PredictionStore) and the output's exact size,
 * which the reservation needs before anything is written; the second regenerates the same lines from
 * the rows and the kept predictions and streams them through the profile, the sha256 and the
 * encryption into the PUT. A second read that differs from the first (another row sequence, another
 * size) fails the job DATA_CORRUPTED and the output is discarded: nothing unverified is registered.
 *
 * Inference goes through @tessera/inference's per-tenant process pools (not onnxruntime in this
 * process): a model that hangs or crashes the runtime costs a child process, stopped at the chunk
 * timeout with a typed error, never the worker; dedicated-tier tenants run in their own pool.
 */
export function batchInferenceProcessor(pools: InferencePools, ports: Pick<WorkerPorts, 'datasetJobs' | 'modelJobs'>, maxPredictionValues: number): JobProcessor {
  return async (ctx: JobContext): Promise<ProcessorOutcome> => {
    const { tenant, job } = ctx;
    const input = ctx.input<BatchInferenceJobInput>();
    const opened = await openDatasetVersion(ports.datasetJobs, ctx, input.datasetVersionId);
    const { version } = opened;
    const { version: model } = await ports.modelJobs.openVersionContent(ctx.grant, { modelVersionId: input.modelVersionId });
    const inputName = model.inputs[0]?.name ?? 'input';
    const outputName = model.outputs[0]?.name;
    await ctx.progress({ progress: 1, phase: 'predicting' }, true);

    const columns = version.columns.map((c) => c.name);
    // One column per value a row gets (predictionColumnNames), known from the first chunk's answer.
    let width: number | undefined;
    const features = input.featureColumns;
    const store = new PredictionStore(maxPredictionValues);
    const firstRead = createHash('sha256');
    // The output's size without the header and without the commas of the rows with no prediction
    // (one per value: the width may be learnt after such rows).
    let bodyBytes = 0;
    let pending: Array<Record<string, string>> = [];
    let done = 0;
    let predicted = 0;
    const flush = async () => {
      // A row is predicted only when every feature is a number a float32 holds: an empty cell, or
      // 1e39 (Infinity once converted), gets no prediction and is not counted as predicted.
      const usable = pending.filter((row) => features.every((name) => featureValue(row[name]) !== undefined));
      const values = new Float32Array(usable.length * features.length);
      usable.forEach((row, r) => features.forEach((name, j) => (values[r * features.length + j] = featureValue(row[name])!)));
      const predictions = new Map<Record<string, string>, number[]>();
      if (usable.length > 0) {
        const answer = await pools.predict({
          tenantId: tenant.id,
          tier: tenant.tier,
          modelKey: `${model.id}:${model.sha256}`,
          // Opened when the pool loads it (a fresh URL: the one above may have expired by then).
          load: async () => new Uint8Array(await readPresignedObjectBuffer((await ports.modelJobs.openVersionContent(ctx.grant, { modelVersionId: model.id })).content, ctx.objectFetch)),
          inputs: { [inputName]: { type: 'float32', data: values, dims: [usable.length, features.length] } },
          batching: false,
          timeoutMs: chunkTimeoutMs,
        });
        const tensor = outputName ? answer.outputs[outputName] : Object.values(answer.outputs)[0];
        if (!tensor) throw errors.badInput('The model produced no output.', { field: 'modelVersionId' });
        const answered = tensor.dims.length > 1 ? tensor.dims.slice(1).reduce((a, b) => a * b, 1) : 1;
        if (width === undefined) width = answered;
        else if (answered !== width) throw errors.badInput(`The model answered ${answered} values per row after ${width}; batch inference needs the same number for every row.`, { field: 'modelVersionId' });
        usable.forEach((row, r) => {
          const rowValues = Array.from({ length: answered }, (_, k) => Number(tensor.data[r * answered + k]));
          // A value no number can show (NaN, an overflow) is no prediction.
          if (!rowValues.every((value) => Number.isFinite(value))) return;
          predictions.set(row, rowValues);
          predicted += 1;
        });
      }
      for (const row of pending) {
        const cells = rowCells(columns, row);
        firstRead.update(cells).update('\n');
        const rowValues = predictions.get(row);
        if (rowValues) store.add(rowValues);
        else store.skip();
        bodyBytes += Buffer.byteLength(cells) + 1 + (rowValues ? Buffer.byteLength(predictionCells(rowValues)) : 0);
      }
      done += pending.length;
      pending = [];
      await ctx.progress({ progress: 1 + (94 * done) / version.rowCount, phase: 'predicting', metrics: { rows: done, predicted } });
    };
    for await (const row of datasetRows(ctx, opened)) {
      pending.push(row);
      if (pending.length >= inferenceRowsPerRun(width, pools.options.maxOutputValues)) await flush();
    }
    if (pending.length > 0) await flush();
    ctx.checkpoint();
    const valuesPerRow = width ?? 1;
    const added = predictionColumnNames(input.predictionColumn, valuesPerRow);
    const clash = added.find((name) => columns.includes(name));
    if (clash) throw errors.badInput(`The dataset already has a column ${JSON.stringify(clash)}; choose another predictionColumn.`, { field: 'predictionColumn' });
    const header = csvLine([...columns, ...added]);
    const byteSize = Buffer.byteLength(header) + bodyBytes + (done - predicted) * valuesPerRow;

    await ctx.progress({ progress: 96, phase: 'storing predictions', metrics: { rows: done, predicted } }, true);
    // The output dataset's name comes from the grant: this call names only the room it needs.
    const output = await ports.datasetJobs.reserveJobOutput(ctx.grant, { storedBytes: storedSizeOf(byteSize) });
    let key: string | null = null;
    const discard = () => ports.datasetJobs.discardJobOutput(ctx.grant, { reservationId: output.reservationId, objectKey: key });
    try {
      const upload = await ports.datasetJobs.openJobOutputUpload(ctx.grant, { datasetId: output.datasetId, attempt: job.attempts });
      key = upload.objectKey;
      const outputKey = upload.objectKey;
      // A fresh read of the same version (the first URL may have expired while the model ran).
      const reopened = await openDatasetVersion(ports.datasetJobs, ctx, input.datasetVersionId);
      const sha256 = createHash('sha256');
      const profiler = new CsvProfiler({ maxRows: Math.max(1, done), maxBytes: byteSize + 1 });
      // Its failure is read from `errored` and `result()` below; unheard, the event would end the process.
      profiler.on('error', () => undefined);
      store.rewind();
      const lines = outputLines(ctx, reopened, { columns, header, width: valuesPerRow, store, rows: done, predicted });
      const stored = await writePresignedObjectStream(upload.upload, measured(lines, { byteSize, sha256, profiler, firstRead: firstRead.digest('hex'), secondRead: lines.secondRead }), byteSize, ctx.objectFetch);
      const profile = await profiler.result();
      const digest = sha256.digest('hex');
      const result: Record<string, unknown> = { datasetId: output.datasetId, predictedRows: predicted, skippedRows: done - predicted };
      return {
        result,
        // The datasets service keeps the version a crashed run already registered and removes this copy.
        commit: async () => {
          const version = await ports.datasetJobs.registerJobOutput(ctx.grant, {
            datasetId: output.datasetId,
            reservationId: output.reservationId,
            content: {
              objectKey: outputKey,
              byteSize,
              storedSize: stored.storedSize,
              sha256: digest,
              keyVersion: stored.keyVersion,
              profile,
            },
          });
          result['datasetId'] = version.datasetId;
          result['datasetVersionId'] = version.datasetVersionId;
        },
        abandon: discard,
      };
    } catch (error) {
      await discard().catch(() => undefined);
      throw error;
    }
  };
}

interface OutputPlan {
  columns: string[];
  header: string;
  width: number;
  store: PredictionStore;
  rows: number;
  predicted: number;
}

/** The output's bytes in pieces of about 64 KiB, and the digest of the rows as this read saw them. */
type OutputLines = AsyncGenerator<Buffer> & { secondRead: Hash };

/**
 * The output regenerated from a second read of the dataset and the kept predictions: the header,
 * then each row with its values (or, without a prediction, as many empty cells), exactly as the
 * first pass counted them. A checkpoint every thousand rows (datasetRows) and a paced progress
 * report per piece: a cancel or the run's bound stops the upload too.
 */
function outputLines(ctx: JobContext, opened: OpenedDatasetVersion, plan: OutputPlan): OutputLines {
  const secondRead = createHash('sha256');
  const blanks = ','.repeat(plan.width);
  async function* lines(): AsyncGenerator<Buffer> {
    let parts: string[] = [plan.header];
    let size = plan.header.length;
    let rows = 0;
    for await (const row of datasetRows(ctx, opened)) {
      const cells = rowCells(plan.columns, row);
      secondRead.update(cells).update('\n');
      if (rows++ >= plan.rows) break; // counted against the first read below
      const values = plan.store.next(plan.width);
      const line = `${cells}${values ? predictionCells(values) : blanks}\n`;
      parts.push(line);
      size += line.length;
      if (size >= outputPieceBytes) {
        yield Buffer.from(parts.join(''), 'utf8');
        parts = [];
        size = 0;
        await ctx.progress({ progress: 96 + (3 * rows) / Math.max(1, plan.rows), phase: 'storing predictions', metrics: { rows: plan.rows, predicted: plan.predicted } });
      }
    }
    if (parts.length > 0) yield Buffer.from(parts.join(''), 'utf8');
  }
  return Object.assign(lines(), { secondRead });
}

/** A row's cells as the output writes them (RFC 4180 quoting), without the line break. */
function rowCells(columns: readonly string[], row: Record<string, string>): string {
  return columns.map((c) => csvField(row[c] ?? '')).join(',');
}

/** A predicted row's values as the output writes them after its cells: `,v1,v2…`. */
function predictionCells(values: ArrayLike<number>): string {
  let text = '';
  for (let k = 0; k < values.length; k++) text += `,${csvField(formatPrediction(values[k]!))}`;
  return text;
}

const maxFloat32 = 3.4028234663852886e38;

/** A cell as the model's float32 input, or undefined when it holds none (empty, not a number, beyond float32). */
function featureValue(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const lower = raw.toLowerCase();
  const value = lower === 'true' ? 1 : lower === 'false' ? 0 : Number(raw);
  return Number.isFinite(value) && Math.abs(value) <= maxFloat32 ? value : undefined;
}
