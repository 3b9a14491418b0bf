import type { TrainJobInput } from '@tessera/jobs/ports';
import { exportOnnx, loadTrainingData, trainModel, TrainingCancelled, TrainingDiverged } from '@tessera/training';
import { maxTrainingRows } from './limits';
import type { JobContext } from '../job-context';
import { datasetRows, openDatasetVersion } from './dataset-rows';
import type { JobProcessor, ProcessorOutcome } from './job-processor';
import type { WorkerPorts } from '../worker-runtime';

/**
 * TRAIN: loads the numeric columns of the decrypted CSV, trains by gradient descent (progress and
 * the loss per epoch offered after every epoch, reported at the job context's pace; cancellation
 * checked between epochs), exports ONNX and registers it as a
 * new model version with lineage, through the models service's job port (under the run's grant).
 * The registration's idempotency key is the job id: a run that repeats after a crash gets the
 * version the first run made, never a second one. A run that diverges (a loss or a weight that is
 * not a finite number) stops in trainModel with TrainingDiverged: the job fails TRAINING_DIVERGED,
 * nothing non-finite is reported and no version is registered. Training polls the run's checkpoint
 * between batches too (whenever it hands the event loop back), so a cancel, a lost run or the
 * tenant's run-time bound stops it within one batch rather than one epoch.
 */
export function trainProcessor(ports: Pick<WorkerPorts, 'datasetJobs' | 'modelJobs'>): JobProcessor {
  return (ctx) => train(ports, ctx);
}

async function train(ports: Pick<WorkerPorts, 'datasetJobs' | 'modelJobs'>, ctx: JobContext): Promise<ProcessorOutcome> {
  const input = ctx.input<TrainJobInput>();
  const opened = await openDatasetVersion(ports.datasetJobs, ctx, input.datasetVersionId);
  const { version } = opened;
  await ctx.progress({ progress: 1, phase: 'loading data' }, true);
  const data = await loadTrainingData(datasetRows(ctx, opened), {
    featureColumns: input.featureColumns,
    targetColumn: input.targetColumn,
    maxRows: maxTrainingRows,
  });
  ctx.checkpoint();
  const lossHistory: number[] = [];
  const hp = input.hyperParameters;
  const model = await trainModel(input.modelType, data, hp, {
    onEpoch: async ({ epoch, epochs, loss }) => {
      lossHistory.push(loss);
      // Training takes 5–95 %; loading and registering share the rest.
      await ctx.progress({ progress: 5 + (90 * epoch) / epochs, phase: `epoch ${epoch}/${epochs}`, metrics: { epoch, loss }, lossHistory });
    },
    shouldStop: () => ctx.mustStop,
  }).catch(async (error: unknown) => {
    // Stopped by the poll above: the checkpoint throws why (cancelled, lost, over the bound).
    if (error instanceof TrainingCancelled) ctx.checkpoint();
    // The losses up to the one that was not finite stay on the failed job, whatever the last
    // report's pace left out: they are what tells the user why it diverged.
    if (error instanceof TrainingDiverged && lossHistory.length > 0) {
      const epoch = lossHistory.length;
      await ctx.progress({ progress: 5 + (90 * epoch) / hp.epochs, phase: `epoch ${epoch}/${hp.epochs}`, metrics: { epoch, loss: lossHistory.at(-1)! }, lossHistory }, true).catch(() => undefined); // the divergence stays the outcome
    }
    throw error;
  });
  ctx.checkpoint();
  await ctx.progress({ progress: 96, phase: 'registering model', metrics: { epoch: hp.epochs, loss: lossHistory.at(-1) ?? 0 }, lossHistory }, true);
  const onnxBase64 = Buffer.from(exportOnnx(model)).toString('base64');
  const linear = model.kind === 'MLP' ? {} : { weights: model.weights, bias: model.bias };
  const result: Record<string, unknown> = { finalLoss: lossHistory.at(-1) ?? null, trainingRows: data.rows, skippedRows: data.skippedRows, ...linear };
  return {
    result,
    // Registered by the runner once it has confirmed the job is still wanted: a job cancelled by
    // then leaves no model version behind.
    commit: async () => {
      // The model's name and the job id (the idempotency key) come from the grant, not from this call.
      const registered = await ports.modelJobs.registerTrainedVersion(ctx.grant, { onnxBase64, datasetVersionId: version.id });
      Object.assign(result, { modelId: registered.modelId, modelVersionId: registered.modelVersionId, modelVersionNumber: registered.modelVersionNumber });
    },
  };
}
