import { checkEpochLoss, checkModelWeights } from './divergence';
import type { HyperParameters, ModelType } from './hyper-parameters';
import { trainLinear } from './linear-trainer';
import { trainMlp } from './mlp-trainer';
import type { TrainedModel, TrainingHooks } from './trained-model';
import { TrainingDataError, type TrainingData } from './training-data';

/**
 * Trains a model of `modelType`. A run that diverges stops with TrainingDiverged at the first
 * epoch whose loss is not finite (before `onEpoch` sees it), or when a final weight does not fit
 * the exported model: no caller ever receives a non-finite loss or weight.
 */
export async function trainModel(modelType: ModelType, data: TrainingData, hp: HyperParameters, hooks: TrainingHooks = {}): Promise<TrainedModel> {
  if (modelType === 'LOGISTIC_REGRESSION') {
    for (let r = 0; r < data.rows; r++) {
      const y = data.targets[r];
      if (y !== 0 && y !== 1) throw new TrainingDataError('targetColumn', 'Logistic regression needs a target column holding only 0 and 1 (or true/false).');
    }
  }
  const guarded: TrainingHooks = {
    ...hooks,
    onEpoch: async (report) => {
      checkEpochLoss(report, hp);
      await hooks.onEpoch?.(report);
    },
  };
  const model = modelType === 'MLP' ? await trainMlp(data, hp, guarded) : await trainLinear(modelType, data, hp, guarded);
  checkModelWeights(model, hp);
  return model;
}
