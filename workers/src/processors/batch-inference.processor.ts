import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ensureDataset, insertDatasetVersion } from '@tessera/datasets';
import { errors } from '@tessera/errors';
import type { InferencePools } from '@tessera/inference';
import { findModelVersion, type BatchInferenceJobInput } from '@tessera/jobs';
import { TenantQuotas } from '@tessera/quotas';
import { objectKey, storedSizeOf } from '@tessera/storage';
import { profileCsv } from '@tessera/tabular';
import type { JobContext } from '../job-context';
import { csvLine, formatPrediction } from './csv-writer';
import { datasetRows, datasetVersionOf } from './dataset-rows';
import type { JobProcessor, ProcessorOutcome } from './job-processor';
import { inferenceChunkRows } from './limits';

/** How long one chunk may run in the model before its inference process is stopped. */
const chunkTimeoutMs = 60_000;

/**
 * BATCH_INFERENCE: streams the decrypted dataset in chunks through the model and writes the rows
 * back with a prediction column, encrypted, under a key that names the job and the attempt
 * (`datasets/<output>/job-<job>-a<attempt>.csv`). The object becomes a dataset version only in the
 * transaction that marks the job SUCCEEDED; a crashed attempt's object is removed by the next one.
 * Its storage is reserved before the output dataset or the object is written, and committed with
 * the version: a tenant over quota gets a FAILED job (QUOTA_EXCEEDED) and no dataset, row or object.
 *
 * Inference goes through @tessera/inference's per-tenant process pools (not onnxruntime in this
 * process): a model that hangs or crashes the runtime costs a child process, stopped at the chunk
 * timeout with a typed error, never the worker; dedicated-tier tenants run in their own pool.
 */
export function batchInferenceProcessor(pools: InferencePools): JobProcessor {
  return async (ctx: JobContext): Promise<ProcessorOutcome> => {
    const { scope, job } = ctx;
    const input = ctx.input<BatchInferenceJobInput>();
    const version = await datasetVersionOf(scope, input.datasetVersionId);
    const model = await scope.db((manager) => findModelVersion(manager, input.modelVersionId));
    if (!model) throw errors.notFound('ModelVersion', input.modelVersionId);
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
    const storage = await new TenantQuotas(scope).reserve('storageBytes', storedSizeOf(body.length));
    let key: string | undefined;
    try {
      const output = await ensureDataset(scope, input.outputDatasetName);
      const prefix = `datasets/${output.id}/job-${job.id}-`;
      for (const leftover of await scope.bucket.listKeys(prefix)) await scope.bucket.remove(leftover); // an earlier, crashed attempt's
      key = objectKey('datasets', output.id, `job-${job.id}-a${job.attempts}.csv`);
      const outputKey = key;
      const stored = await scope.bucket.putEncryptedBuffer(outputKey, body, await scope.currentDataKey());
      const result: Record<string, unknown> = { datasetId: output.id, predictedRows: predicted };
      return {
        result,
        commit: async (manager) => {
          const registered = await insertDatasetVersion(manager, scope, output.id, {
            objectKey: outputKey,
            byteSize: body.length,
            storedSize: stored.storedSize,
            sha256: createHash('sha256').update(body).digest('hex'),
            keyVersion: stored.keyVersion,
            profile,
            sourceJobId: job.id,
            storage,
          });
          result['datasetVersionId'] = registered.id;
        },
        abandon: async () => {
          try {
            await scope.bucket.remove(outputKey);
          } finally {
            await storage.release();
          }
        },
      };
    } catch (error) {
      if (key) await scope.bucket.remove(key).catch(() => undefined);
      await storage.release().catch(() => undefined);
      throw error;
    }
  };
}

function toNumber(raw: string): number {
  const lower = raw.toLowerCase();
  return lower === 'true' ? 1 : lower === 'false' ? 0 : Number(raw);
}
