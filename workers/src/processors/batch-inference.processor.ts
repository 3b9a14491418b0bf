import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { errors } from '@tessera/errors';
import type { InferencePools } from '@tessera/inference';
import { predictionColumnNames, type BatchInferenceJobInput } from '@tessera/jobs/ports';
import { readPresignedObjectBuffer, storedSizeOf, writePresignedObject } from '@tessera/storage';
import { profileCsv } from '@tessera/tabular';
import type { JobContext } from '../job-context';
import { csvLine, formatPrediction } from './csv-writer';
import { datasetRows, openDatasetVersion } from './dataset-rows';
import type { JobProcessor, ProcessorOutcome } from './job-processor';
import { inferenceRowsPerRun } from './limits';
import type { WorkerPorts } from '../worker-runtime';

/** How long one chunk may run in the model before its inference process is stopped. */
const chunkTimeoutMs = 60_000;

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
 * Inference goes through @tessera/inference's per-tenant process pools (not onnxruntime in this
 * process): a model that hangs or crashes the runtime costs a child process, stopped at the chunk
 * timeout with a typed error, never the worker; dedicated-tier tenants run in their own pool.
 */
export function batchInferenceProcessor(pools: InferencePools, ports: Pick<WorkerPorts, 'datasetJobs' | 'modelJobs'>): JobProcessor {
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
    // The header is written once the output's width is known (the first chunk's answer): one
    // column per value a row gets (predictionColumnNames).
    const parts: string[] = [''];
    let width: number | undefined;
    const features = input.featureColumns;
    let pending: Array<Record<string, string>> = [];
    let done = 0;
    let predicted = 0;
    const flush = async () => {
      // A row is predicted only when every feature is a number a float32 holds: an empty cell, or
      // 1e39 (Infinity once converted), gets no prediction and is not counted as predicted.
      const usable = pending.filter((row) => features.every((name) => featureValue(row[name]) !== undefined));
      const values = new Float32Array(usable.length * features.length);
      usable.forEach((row, r) => features.forEach((name, j) => (values[r * features.length + j] = featureValue(row[name])!)));
      const predictions = new Map<Record<string, string>, string[]>();
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
          predictions.set(row, rowValues.map(formatPrediction));
          predicted += 1;
        });
      }
      const blank = Array.from({ length: width ?? 1 }, () => '');
      for (const row of pending) parts.push(csvLine([...columns.map((c) => row[c] ?? ''), ...(predictions.get(row) ?? blank)]));
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
    const added = predictionColumnNames(input.predictionColumn, width ?? 1);
    const clash = added.find((name) => columns.includes(name));
    if (clash) throw errors.badInput(`The dataset already has a column ${JSON.stringify(clash)}; choose another predictionColumn.`, { field: 'predictionColumn' });
    parts[0] = csvLine([...columns, ...added]);

    await ctx.progress({ progress: 96, phase: 'storing predictions', metrics: { rows: done, predicted } }, true);
    const body = Buffer.from(parts.join(''), 'utf8');
    const profile = await profileCsv(Readable.from([body]), { maxRows: Math.max(1, done), maxBytes: body.length + 1 });
    // The output dataset's name comes from the grant: this call names only the room it needs.
    const output = await ports.datasetJobs.reserveJobOutput(ctx.grant, { storedBytes: storedSizeOf(body.length) });
    let key: string | null = null;
    const discard = () => ports.datasetJobs.discardJobOutput(ctx.grant, { reservationId: output.reservationId, objectKey: key });
    try {
      const upload = await ports.datasetJobs.openJobOutputUpload(ctx.grant, { datasetId: output.datasetId, attempt: job.attempts });
      key = upload.objectKey;
      const outputKey = upload.objectKey;
      const stored = await writePresignedObject(upload.upload, body, ctx.objectFetch);
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
              byteSize: body.length,
              storedSize: stored.storedSize,
              sha256: createHash('sha256').update(body).digest('hex'),
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

const maxFloat32 = 3.4028234663852886e38;

/** A cell as the model's float32 input, or undefined when it holds none (empty, not a number, beyond float32). */
function featureValue(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const lower = raw.toLowerCase();
  const value = lower === 'true' ? 1 : lower === 'false' ? 0 : Number(raw);
  return Number.isFinite(value) && Math.abs(value) <= maxFloat32 ? value : undefined;
}
