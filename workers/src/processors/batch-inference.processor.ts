import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { errors } from '@tessera/errors';
import type { InferencePools } from '@tessera/inference';
import type { BatchInferenceJobInput } from '@tessera/jobs/ports';
import { objectKey, storedSizeOf } from '@tessera/storage';
import { profileCsv } from '@tessera/tabular';
import type { JobContext } from '../job-context';
import { csvLine, formatPrediction } from './csv-writer';
import { datasetRows, datasetVersionOf } from './dataset-rows';
import type { JobProcessor, ProcessorOutcome } from './job-processor';
import { inferenceChunkRows } from './limits';
import type { WorkerPorts } from '../worker-runtime';

/** How long one chunk may run in the model before its inference process is stopped. */
const chunkTimeoutMs = 60_000;

/**
 * BATCH_INFERENCE: streams the decrypted dataset in chunks through the model and writes the rows
 * back with a prediction column, encrypted, under a key that names the job and the attempt
 * (`datasets/<output>/job-<job>-a<attempt>.csv`). The datasets service (its port) reserves the
 * storage before the output dataset or the object is written, and makes the object a version just
 * before the job is marked SUCCEEDED, at most one per job; a crashed attempt's object is removed by
 * the next one unless it already became the job's version. A tenant over quota gets a FAILED job
 * (QUOTA_EXCEEDED) and no dataset, row or object. The model version comes from the models port.
 *
 * Inference goes through @tessera/inference's per-tenant process pools (not onnxruntime in this
 * process): a model that hangs or crashes the runtime costs a child process, stopped at the chunk
 * timeout with a typed error, never the worker; dedicated-tier tenants run in their own pool.
 */
export function batchInferenceProcessor(pools: InferencePools, ports: Pick<WorkerPorts, 'datasets' | 'models'>): JobProcessor {
  return async (ctx: JobContext): Promise<ProcessorOutcome> => {
    const { scope, job } = ctx;
    const input = ctx.input<BatchInferenceJobInput>();
    const version = await datasetVersionOf(ports.datasets, scope, input.datasetVersionId);
    const model = await ports.models.findVersionForJob(scope.principal, { modelVersionId: input.modelVersionId });
    const inputName = model.inputs[0]?.name ?? 'input';
    const outputName = model.outputs[0]?.name;
    await ctx.progress({ progress: 1, phase: 'predicting' }, true);

    const columns = version.columns.map((c) => c.name);
    const parts: string[] = [csvLine([...columns, input.predictionColumn])];
    const features = input.featureColumns;
    let pending: Array<Record<string, string>> = [];
    let done = 0;
    let predicted = 0;
    const flush = async () => {
      const usable = pending.filter((row) => features.every((name) => row[name] !== undefined && row[name] !== ''));
      const values = new Float32Array(usable.length * features.length);
      usable.forEach((row, r) => features.forEach((name, j) => (values[r * features.length + j] = toNumber(row[name]!))));
      const predictions = new Map<Record<string, string>, string>();
      if (usable.length > 0) {
        const answer = await pools.predict({
          tenantId: scope.tenant.id,
          tier: scope.tenant.tier,
          modelKey: `${model.id}:${model.sha256}`,
          load: async () => new Uint8Array(await scope.bucket.getDecryptedBuffer(model.objectKey, scope.resolveDataKey)),
          inputs: { [inputName]: { type: 'float32', data: values, dims: [usable.length, features.length] } },
          batching: false,
          timeoutMs: chunkTimeoutMs,
        });
        const tensor = outputName ? answer.outputs[outputName] : Object.values(answer.outputs)[0];
        if (!tensor) throw errors.badInput('The model produced no output.', { field: 'modelVersionId' });
        const width = tensor.dims.length > 1 ? tensor.dims.slice(1).reduce((a, b) => a * b, 1) : 1;
        usable.forEach((row, r) => predictions.set(row, formatPrediction(tensor.data[r * width]!)));
        predicted += usable.length;
      }
      for (const row of pending) parts.push(csvLine([...columns.map((c) => row[c] ?? ''), predictions.get(row) ?? '']));
      done += pending.length;
      pending = [];
      await ctx.progress({ progress: 1 + (94 * done) / version.rowCount, phase: 'predicting', metrics: { rows: done, predicted } });
    };
    for await (const row of datasetRows(scope, version)) {
      pending.push(row);
      if (pending.length >= inferenceChunkRows) await flush();
    }
    if (pending.length > 0) await flush();
    ctx.checkpoint();

    await ctx.progress({ progress: 96, phase: 'storing predictions', metrics: { rows: done, predicted } }, true);
    const body = Buffer.from(parts.join(''), 'utf8');
    const profile = await profileCsv(Readable.from([body]), { maxRows: Math.max(1, done), maxBytes: body.length + 1 });
    const registered = await ports.datasets.findJobOutput(scope.principal, { sourceJobId: job.id });
    const output = await ports.datasets.reserveJobOutput(scope.principal, { outputDatasetName: input.outputDatasetName, storedBytes: storedSizeOf(body.length) });
    const release = () => ports.datasets.releaseJobOutput(scope.principal, { reservationId: output.reservationId });
    let key: string | undefined;
    try {
      const prefix = `datasets/${output.datasetId}/job-${job.id}-`;
      // An earlier, crashed attempt's object, unless it already became the job's version.
      for (const leftover of await scope.bucket.listKeys(prefix)) if (leftover !== registered?.objectKey) await scope.bucket.remove(leftover);
      key = objectKey('datasets', output.datasetId, `job-${job.id}-a${job.attempts}.csv`);
      const outputKey = key;
      const stored = await scope.bucket.putEncryptedBuffer(outputKey, body, await scope.currentDataKey());
      const result: Record<string, unknown> = { datasetId: output.datasetId, predictedRows: predicted };
      return {
        result,
        commit: async () => {
          const version = await ports.datasets.registerJobOutput(scope.principal, {
            datasetId: output.datasetId,
            reservationId: output.reservationId,
            sourceJobId: job.id,
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
          // A run that crashed after registering made the version: it stands, this copy goes.
          if (version.objectKey !== outputKey) await scope.bucket.remove(outputKey).catch(() => undefined);
        },
        abandon: async () => {
          try {
            await scope.bucket.remove(outputKey);
          } finally {
            await release();
          }
        },
      };
    } catch (error) {
      if (key) await scope.bucket.remove(key).catch(() => undefined);
      await release().catch(() => undefined);
      throw error;
    }
  };
}

function toNumber(raw: string): number {
  const lower = raw.toLowerCase();
  return lower === 'true' ? 1 : lower === 'false' ? 0 : Number(raw);
}
