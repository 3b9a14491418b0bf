import type { HyperParameters, ModelType } from './hyper-parameters';
import { trainLinear } from './linear-trainer';
import { trainMlp } from './mlp-trainer';
import type { TrainedModel, TrainingHooks } from './trained-model';
import { TrainingDataError, type TrainingData } from './training-data';

export async function trainModel(modelType: ModelType, data: TrainingData, hp: HyperParameters, hooks: TrainingHooks = {}): Promise<TrainedModel> {
  if (modelType === 'LOGISTIC_REGRESSION') {
    for (let r = 0; r < data.rows; r++) {
      const y = data.targets[r];
      if (y !== 0 && y !== 1) throw new TrainingDataError('targetColumn', 'Logistic regression needs a target column holding only 0 and 1 (or true/false).');
    }
  }
  if (modelType === 'MLP') return trainMlp(data, hp, hooks);
  return trainLinear(modelType, data, hp, hooks);
}
